import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './processes.js';

/** A temp folder of client keys (`id`, `other`: ed25519, no passphrase) and its own known_hosts. */
export interface SshClientKeys {
  dir: string;
  /** The public key line of `key`, as an `ssh_key_value` or `--ssh-key-value` takes it. */
  publicKey(key?: string): string;
  /** OpenSSH client options that use only `key`, never prompt, and trust any host key into this folder's known_hosts. */
  options(key?: string): string[];
}

/** Makes the keys a test connects with (the agent's SSH server trusts `id`; `other` is for refusals). */
export function sshClientKeys(prefix: string): SshClientKeys {
  const dir = tempDir(prefix);
  for (const key of ['id', 'other'])
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, key)]);
  return {
    dir,
    publicKey: (key = 'id') => readFileSync(join(dir, `${key}.pub`), 'utf8').trim(),
    options: (key = 'id') => [
      '-i',
      join(dir, key),
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
      '-o',
      'LogLevel=ERROR',
    ],
  };
}
