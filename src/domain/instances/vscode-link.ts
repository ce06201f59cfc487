/**
 * VS Code Remote-SSH's deep link for an `ssh -p PORT user@host` connection string:
 * vscode://vscode-remote/ssh-remote+user@host:port/folder. Undefined for anything else.
 */
export function vscodeLink(connectionString: string, folder?: string): string | undefined {
  const m = /^ssh\s+-p\s+(\d+)\s+([A-Za-z0-9._-]+)@([A-Za-z0-9.:_-]+)$/.exec(connectionString.trim());
  if (!m) return undefined;
  const [, port, user, host] = m as unknown as [string, string, string, string];
  const path = folder ?? `/home/${user}`;
  const encoded = path
    .split('/')
    .map((part) => encodeURIComponent(part))
    .join('/');
  return `vscode://vscode-remote/ssh-remote+${user}@${host}:${port}${encoded.startsWith('/') ? '' : '/'}${encoded}`;
}
