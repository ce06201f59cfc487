import { describe, expect, it } from 'vitest';
import { vscodeLink } from './vscode-link.js';

describe('the VS Code deep link', () => {
  it('is made from an instance connection string, opening the user’s home folder', () => {
    expect(vscodeLink('ssh -p 50022 azureuser@10.0.0.4')).toBe(
      'vscode://vscode-remote/ssh-remote+azureuser@10.0.0.4:50022/home/azureuser',
    );
  });

  it('opens another folder when asked, encoding it', () => {
    expect(vscodeLink('ssh -p 2222 alice@node-1', '/mnt/my work')).toBe(
      'vscode://vscode-remote/ssh-remote+alice@node-1:2222/mnt/my%20work',
    );
  });

  it('is absent for a string that is not an ssh connection string', () => {
    expect(vscodeLink('telnet 10.0.0.4')).toBeUndefined();
    expect(vscodeLink('ssh azureuser@10.0.0.4; rm -rf /')).toBeUndefined();
  });
});
