import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Writable } from 'node:stream';

/** Terminal size of a pty session. */
export interface PtySize {
  rows: number;
  cols: number;
}

/** A process on a pseudo-terminal whose size can change while it runs. */
export interface PtyProcess {
  /** The helper process: stdin goes to the terminal, stdout is what the terminal shows. */
  child: ChildProcess;
  /** Sets the terminal's size; the kernel sends SIGWINCH to the foreground job, as on a real terminal. */
  resize(size: PtySize): void;
  /** Hangs the terminal up (SIGHUP to its session, then SIGKILL), as sshd does when a client goes. */
  end(): void;
}

/**
 * The pty helper: Python's standard pty module (python3 is on every node; node-pty would need a
 * native build with node-gyp on every install). argv: rows cols [uid:gid|-] command…
 * stdin → pty master, master → stdout; "rows cols" lines on fd 3 apply TIOCSWINSZ.
 * The command gets its own session with the pty as controlling terminal; SIGTERM hangs it up.
 */
const HELPER = String.raw`
import fcntl, os, pty, select, signal, struct, sys, termios, time
rows, cols, owner, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
def size(fd, r, c):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', max(1, min(r, 1000)), max(1, min(c, 1000)), 0, 0))
pid, master = pty.fork()
if pid == 0:
    try:
        size(0, rows, cols)
        if owner != '-':
            uid, gid = owner.split(':')
            os.chown(os.ttyname(0), int(uid), int(gid))
        os.execvp(argv[0], argv)
    except Exception as e:
        os.write(2, ('cannot start %s: %s\r\n' % (argv[0], e)).encode())
    os._exit(127)
def hangup(*_):
    for sig in (signal.SIGHUP, signal.SIGCONT):
        try: os.killpg(pid, sig)
        except OSError: pass
    time.sleep(0.2)
    try: os.killpg(pid, signal.SIGKILL)
    except OSError: pass
    os._exit(129)
signal.signal(signal.SIGTERM, hangup)
signal.signal(signal.SIGHUP, hangup)
def write_all(fd, data):
    while data:
        data = data[os.write(fd, data):]
inputs, control, status = [0, master], b'', None
try:
    os.fstat(3)
    inputs.append(3)
except OSError:
    pass
while True:
    ready = select.select(inputs, [], [], 0.5)[0]
    if master in ready:
        try: data = os.read(master, 65536)
        except OSError: data = b''
        if not data: break
        write_all(1, data)
    if 0 in ready:
        data = os.read(0, 65536)
        if data: write_all(master, data)
        else: inputs.remove(0)
    if 3 in ready:
        data = os.read(3, 4096)
        if not data: inputs.remove(3)
        control += data
        while b'\n' in control:
            line, control = control.split(b'\n', 1)
            try:
                r, c = (int(x) for x in line.split())
                size(master, r, c)
            except (ValueError, OSError): pass
    if not ready and status is None:
        # The command ended but something in the background still holds the terminal: finish anyway.
        done, st = os.waitpid(pid, os.WNOHANG)
        if done: status = st; break
if status is None:
    status = os.waitpid(pid, 0)[1]
code = os.waitstatus_to_exitcode(status)
sys.exit(128 - code if code < 0 else code)
`;

/** Debian's own python3 (always there, starts fast); a PATH one otherwise. */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const clamp = (n: number, fallback: number): number =>
  Number.isFinite(n) ? Math.max(1, Math.min(1000, Math.floor(n))) : fallback;

/**
 * Starts `argv` on a new pseudo-terminal of the given size. The helper leads its own process
 * group; the command leads its own session on the pty. `owner` (uid:gid) gets the pty's device
 * when the command runs as another user.
 */
export function spawnPty(
  size: PtySize,
  argv: string[],
  env: Record<string, string>,
  cwd: string,
  owner?: { uid: number; gid: number },
): PtyProcess {
  const child = spawn(
    PYTHON,
    [
      '-c',
      HELPER,
      String(clamp(size.rows, 24)),
      String(clamp(size.cols, 80)),
      owner ? `${owner.uid}:${owner.gid}` : '-',
      ...argv,
    ],
    {
      cwd,
      env: { ...env, TERM: env.TERM ?? 'xterm-256color' },
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    },
  );
  const control = child.stdio[3] as Writable | null;
  control?.on('error', () => undefined);
  child.stdin?.on('error', () => undefined);
  return {
    child,
    resize: (s) => {
      if (child.exitCode === null && control?.writable)
        control.write(`${clamp(s.rows, 24)} ${clamp(s.cols, 80)}\n`);
    },
    end: () => killGroup(child, 'SIGTERM'),
  };
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
