import { describe, expect, it } from 'vitest';
import { spawnPty, type PtyProcess } from './pty.js';
import { asSessionUser, resolveSessionUser } from './session-env.js';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp', TERM: 'dumb' };

/** Collects what the terminal shows until `want` appears. */
function until(pty: PtyProcess, want: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ${String(want)} in ${JSON.stringify(out)}`)), 10_000);
    pty.child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (want.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
  });
}

const exitOf = (pty: PtyProcess): Promise<number | null> =>
  new Promise((r) => pty.child.on('exit', (code) => r(code)));

describe('the pty helper', () => {
  it('starts a command on a terminal of the asked size, resizes it, and passes its exit code on', async () => {
    const pty = spawnPty({ rows: 33, cols: 101 }, ['bash', '--norc', '--noprofile', '-i'], env, '/tmp');
    const exited = exitOf(pty);
    const first = until(pty, /33 101[\s\S]*\/dev\/pts\/\d+/);
    pty.child.stdin?.write('stty size; tty\n');
    await first;
    const second = until(pty, /47 150/);
    pty.resize({ rows: 47, cols: 150 });
    pty.child.stdin?.write('stty size\n');
    await second;
    pty.child.stdin?.write('exit 3\n');
    expect(await exited).toBe(3);
  });

  it('hangs the session up when ended: the command goes too', async () => {
    const pty = spawnPty({ rows: 24, cols: 80 }, ['bash', '-c', 'echo "pid=$$"; exec sleep 60'], env, '/tmp');
    const pid = Number(/pid=(\d+)/.exec(await until(pty, /pid=\d+/))?.[1]);
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive()).toBe(true);
    const exited = exitOf(pty);
    pty.end();
    await exited;
    for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive()).toBe(false);
  });

  it.runIf(process.getuid?.() === 0)('runs as another account that owns its terminal', async () => {
    const user = resolveSessionUser('nobody', 0);
    expect(user?.name).toBe('nobody');
    const pty = spawnPty(
      { rows: 24, cols: 80 },
      asSessionUser(['bash', '-c', 'id -un; stat -c %U "$(tty)"'], user),
      env,
      '/tmp',
      user,
    );
    const out = await until(pty, /nobody\s+nobody/);
    expect(out.replace(/\r/g, '').trim().split('\n')).toEqual(['nobody', 'nobody']);
  });

  it('keeps the agent’s own account when the agent is not root', () => {
    expect(resolveSessionUser('nobody', 1000)).toBeUndefined();
    expect(asSessionUser(['bash', '-il'], undefined)).toEqual(['bash', '-il']);
  });
});
