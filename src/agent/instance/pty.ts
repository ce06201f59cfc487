import { spawn, type ChildProcess } from 'node:child_process';

/** Terminal size of a pty session. */
export interface PtySize {
  rows: number;
  cols: number;
}

/**
 * Starts an interactive shell on a pseudo-terminal using util-linux `script` (no native module
 * needed): the shell sees a real tty; we talk to it through pipes. Its own process group, so the
 * whole session can be killed at once. The size is set when it starts. ECHO stays on for the
 * pty (as on a real terminal): readline only echoes what is typed when the tty echoes.
 */
export function spawnPtyShell(
  size: PtySize,
  env: Record<string, string>,
  cwd: string,
  command = 'exec bash -il',
): ChildProcess {
  const inner = `stty rows ${Math.max(1, Math.floor(size.rows))} cols ${Math.max(1, Math.floor(size.cols))} 2>/dev/null; ${command}`;
  return spawn('script', ['-q', '-f', '-e', '-E', 'always', '-c', inner, '/dev/null'], {
    cwd,
    env: { ...env, TERM: env.TERM ?? 'xterm-256color' },
    detached: true,
    stdio: 'pipe',
  });
}

/** Kills a session's whole process group (ignoring ones already gone). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}
