import { existsSync } from 'node:fs';

/** How job commands are isolated on a node. */
export interface Sandbox {
  /** bubblewrap: protected folders are hidden from jobs; none: jobs see what the agent's user sees. */
  kind: 'bubblewrap' | 'none';
  /** Wraps a command so it runs inside the sandbox. */
  wrap(file: string, args: string[], visible: { readWrite: string[]; readOnly: string[] }): { file: string; args: string[] };
}

/**
 * The job sandbox of a node: with Debian's bubblewrap, each protected folder (the server's
 * HANGAR_HOME: database, secrets key, other jobs' files) is replaced by an empty tmpfs, and only
 * the attempt's own folder (and the read-only environments) is mounted back. The network, the
 * process tree and the rest of the file system stay as they are, so multi-node jobs and signals
 * work unchanged.
 */
export function createSandbox(protect: string[], bwrap: string | undefined): Sandbox {
  if (!bwrap || protect.length === 0) return { kind: 'none', wrap: (file, args) => ({ file, args }) };
  return {
    kind: 'bubblewrap',
    wrap(file, args, visible) {
      const mounts = ['--dev-bind', '/', '/', ...protect.flatMap((p) => ['--tmpfs', p])];
      for (const dir of visible.readOnly) if (existsSync(dir)) mounts.push('--ro-bind', dir, dir);
      for (const dir of visible.readWrite) mounts.push('--bind', dir, dir);
      return { file: bwrap, args: [...mounts, '--', file, ...args] };
    },
  };
}
