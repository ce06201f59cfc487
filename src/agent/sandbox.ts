import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lchownSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { which } from './capacity.js';

/** The unprivileged OS user a root agent runs jobs as. */
export interface JobUser {
  name: string;
  uid: number;
  gid: number;
}

/** What a job's command may see of the node's files besides the rest of the system. */
export interface Visible {
  /** Mounted back read-write at the same path (the attempt's folder). */
  readWrite: string[];
  /** Mounted back read-only at the same path (the node's environments). */
  readOnly: string[];
  /** The working directory inside the sandbox. */
  cwd: string;
  /** Inputs mounted at a place inside the attempt's folder (ro_mount, rw_mount), over the read-write mount. */
  binds?: { src: string; dest: string; readOnly: boolean }[];
}

/** How job commands are isolated on a node. */
export interface Sandbox {
  /** bubblewrap: own PID/IPC/UTS namespaces, protected folders hidden; none: jobs see what the agent's user sees. */
  kind: 'bubblewrap' | 'none';
  /** Why jobs are refused on this node (bubblewrap missing or unusable); absent when jobs may run. */
  problem?: string;
  /** Set when the agent runs as root: jobs run as this user, never as root. */
  user?: JobUser;
  /** Wraps a command so it runs inside the sandbox. */
  wrap(file: string, args: string[], visible: Visible): { file: string; args: string[] };
}

/** What the agent was told about sandboxing jobs. */
export interface SandboxSettings {
  /** Folders jobs must not see: each becomes an empty tmpfs inside the sandbox. */
  protect: string[];
  /** PATH to find bwrap and setpriv on. */
  path: string | undefined;
  /** The operator's explicit choice to run jobs without bubblewrap. */
  insecureNoSandbox?: boolean;
  /** OS user for jobs when the agent runs as root (default hangar-job, else nobody). */
  jobUser?: string;
  /** The agent's own uid (tests and non-Linux callers may pass it). */
  uid?: number;
}

/** The default job user the install script creates, and the fallback every Debian has. */
export const DEFAULT_JOB_USERS = ['hangar-job', 'nobody'];

const insecureHint =
  "To run jobs without the sandbox anyway (they can then read whatever the agent's OS user can, including the server's data on the local provider), set jobs.insecureNoSandbox: true in the server's config.yaml (`hangar agent --insecure-no-sandbox` for an agent started by hand).";

/** A node that runs jobs directly (the local target, or the operator's insecure choice). */
export function unsandboxed(problem?: string): Sandbox {
  return { kind: 'none', ...(problem ? { problem } : {}), wrap: (file, args) => ({ file, args }) };
}

/** Gives a folder and everything in it to `uid:gid` (links themselves, never what they point to). */
export function chownTree(path: string, uid: number, gid: number): void {
  lchownSync(path, uid, gid);
  if (!lstatSync(path).isDirectory()) return;
  for (const entry of readdirSync(path)) chownTree(join(path, entry), uid, gid);
}

/** Looks a user up in the system's user database (NSS, so LDAP users work too). */
export function lookupUser(name: string): JobUser | undefined {
  try {
    const [, , uid, gid] = execFileSync('getent', ['passwd', name], { encoding: 'utf8', timeout: 5000 })
      .trim()
      .split(':');
    return uid !== undefined && gid !== undefined ? { name, uid: Number(uid), gid: Number(gid) } : undefined;
  } catch {
    return undefined;
  }
}

/** Drops nested folders: hiding a parent hides them already, and a tmpfs would create them on the host. */
function outermost(dirs: string[]): string[] {
  const all = [...new Set(dirs.map((d) => resolve(d)))].filter((d) => existsSync(d));
  return all.filter((d) => !all.some((p) => p !== d && d.startsWith(p.endsWith(sep) ? p : `${p}${sep}`)));
}

/** Whether `user` (with only its own group: setpriv clears the others) may pass through a folder. */
function passable(folder: string, user: JobUser): boolean {
  try {
    const st = statSync(folder);
    if (st.uid === user.uid) return (st.mode & 0o100) !== 0;
    if (st.gid === user.gid) return (st.mode & 0o010) !== 0;
    return (st.mode & 0o001) !== 0;
  } catch {
    return true; // A folder that is not there is bwrap's to report.
  }
}

/** The outermost folder above `dir`, outside the protected ones, that `user` cannot pass through. */
function blockingAncestor(dir: string, user: JobUser, protect: string[]): string | undefined {
  const parts = resolve(dir)
    .split(sep)
    .filter((x) => x !== '');
  for (let i = 1; i < parts.length; i++) {
    const folder = sep + parts.slice(0, i).join(sep);
    if (protect.includes(folder)) return undefined; // Already hidden, with passable folders made inside.
    if (!passable(folder, user)) return folder;
  }
  return undefined;
}

/**
 * The command line of a sandboxed job. bubblewrap gives it its own PID, IPC and UTS namespaces and
 * a fresh /proc (no other process of the machine is visible, so /proc/<pid>/root cannot lead to the
 * server's files), hides each protected folder behind an empty tmpfs and mounts back only the
 * attempt's folder and the environments. The network stays shared: multi-node jobs talk over TCP.
 *
 * Signals: the agent signals the job's process group, which bwrap leads. bwrap does not forward
 * signals and its child dies with it (--die-with-parent), so it ignores SIGTERM (set by `sh` before
 * exec, kept across exec) and the command gets SIGTERM's default back (`env --default-signal`):
 * a job's SIGTERM handler runs its whole grace period; SIGKILL ends everything at once.
 */
function bwrapCommand(
  bwrap: string,
  setpriv: string | undefined,
  user: JobUser | undefined,
  protect: string[],
  file: string,
  args: string[],
  visible: Visible,
): { file: string; args: string[] } {
  const readOnly = visible.readOnly.filter((dir) => existsSync(dir));
  const shown = [...readOnly, ...visible.readWrite];
  // A folder on the way to a mounted-back one that the job user cannot pass (a home of 0700, as /root) is
  // hidden as well: nothing in it was reachable for the job, and the folders made inside let it through.
  const blocking = user ? shown.flatMap((dir) => blockingAncestor(dir, user, protect) ?? []) : [];
  const hidden = blocking.length > 0 ? outermost([...protect, ...blocking]) : protect;
  const mounts = ['--dev-bind', '/', '/', '--proc', '/proc', ...hidden.flatMap((p) => ['--tmpfs', p])];
  // bwrap would make the folders leading to a mount point inside a tmpfs 0700 (root's): the job user must pass through them.
  const made = new Set<string>();
  for (const dir of shown) {
    const top = hidden.find((p) => dir.startsWith(`${p}${sep}`));
    if (!top) continue;
    const parts = relative(top, dirname(dir))
      .split(sep)
      .filter((x) => x !== '');
    parts.forEach((_, i) => {
      const folder = join(top, ...parts.slice(0, i + 1));
      if (!made.has(folder)) mounts.push('--perms', '0755', '--dir', folder);
      made.add(folder);
    });
  }
  for (const dir of readOnly) mounts.push('--ro-bind', dir, dir);
  for (const dir of visible.readWrite) mounts.push('--bind', dir, dir);
  // After the attempt's folder, so an input's mount lies over its (empty) place there.
  for (const b of visible.binds ?? []) mounts.push(b.readOnly ? '--ro-bind' : '--bind', b.src, b.dest);
  // A root agent mounts as root (the attempt's folder sits in 0700 folders), then the command drops to the job user with no capabilities.
  const drop =
    user && setpriv
      ? [
          setpriv,
          `--reuid=${user.uid}`,
          `--regid=${user.gid}`,
          '--clear-groups',
          '--inh-caps=-all',
          '--bounding-set=-all',
          '--',
        ]
      : [];
  const bw = [
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--die-with-parent',
    ...mounts,
    '--chdir',
    visible.cwd,
    '--',
    ...drop,
    '/usr/bin/env',
    '--default-signal=TERM',
    file,
    ...args,
  ];
  return { file: '/bin/sh', args: ['-c', 'trap "" TERM; exec "$0" "$@"', bwrap, ...bw] };
}

/**
 * Decides how this node runs jobs. With bubblewrap (and, for a root agent, an unprivileged job
 * user and setpriv) jobs are sandboxed; a real sandbox is started once as a probe, so a missing
 * user-namespace permission shows now, on the node, not in every job. Without a usable sandbox
 * jobs are refused with what is missing and how to install it, unless the operator chose
 * insecureNoSandbox.
 */
export function createSandbox(settings: SandboxSettings): Sandbox {
  const found = prepare(settings);
  if ('problem' in found)
    return settings.insecureNoSandbox
      ? unsandboxed()
      : unsandboxed(`jobs cannot run on this node: ${found.problem} ${insecureHint}`);
  return { kind: 'bubblewrap', ...(found.user ? { user: found.user } : {}), wrap: found.wrap };
}

function prepare(
  settings: SandboxSettings,
): { problem: string } | { user: JobUser | undefined; wrap: Sandbox['wrap'] } {
  const uid = settings.uid ?? process.getuid?.() ?? -1;
  const bwrap = which('bwrap', settings.path);
  if (!bwrap)
    return {
      problem:
        'bubblewrap (bwrap) is not installed on this node, and Hangar runs every job in a bubblewrap sandbox. Install it: `apt-get install bubblewrap` (Debian/Ubuntu) or `dnf install bubblewrap`.',
    };
  let user: JobUser | undefined;
  let setpriv: string | undefined;
  if (uid === 0) {
    const names = settings.jobUser ? [settings.jobUser] : DEFAULT_JOB_USERS;
    user = names.map(lookupUser).find((u) => u !== undefined);
    if (!user) {
      return {
        problem: settings.jobUser
          ? `the job user '${settings.jobUser}' (jobs.runAsUser) does not exist on this node; the agent runs as root and never runs jobs as root. Create it: \`useradd --system --no-create-home --shell /usr/sbin/nologin ${settings.jobUser}\`.`
          : "the agent runs as root and never runs jobs as root, but neither 'hangar-job' nor 'nobody' exists on this node. Create the job user: `useradd --system --no-create-home --shell /usr/sbin/nologin hangar-job` (scripts/install-debian-deps.sh does).",
      };
    }
    if (user.uid === 0)
      return {
        problem: `the job user '${user.name}' is root; jobs never run as root. Choose an unprivileged user (jobs.runAsUser).`,
      };
    setpriv = which('setpriv', settings.path);
    if (!setpriv)
      return {
        problem:
          'setpriv is not installed on this node; a root agent needs it to run jobs as an unprivileged user. Install it: `apt-get install util-linux`.',
      };
  }
  const protect = outermost(settings.protect);
  const wrap: Sandbox['wrap'] = (file, args, visible) =>
    bwrapCommand(bwrap, setpriv, user, protect, file, args, visible);
  const probe = wrap('/bin/true', [], { readWrite: [], readOnly: [], cwd: '/' });
  const r = spawnSync(probe.file, probe.args, {
    encoding: 'utf8',
    timeout: 15_000,
    env: { PATH: settings.path ?? '/usr/bin:/bin' },
  });
  if (r.status !== 0) {
    const said = (r.stderr || r.error?.message || `exit code ${r.status ?? r.signal ?? '?'}`).trim();
    const fix =
      uid === 0
        ? 'Check that the kernel supports PID namespaces and that setpriv and env (coreutils 8.31 or later) are installed.'
        : 'Running as an ordinary user, bubblewrap needs unprivileged user namespaces: enable them (`sysctl -w kernel.unprivileged_userns_clone=1` on Debian kernels that have it, and `user.max_user_namespaces` above 0), or run the agent as root.';
    return {
      problem: `bubblewrap (${bwrap}) cannot start a sandbox on this node (it said: ${said}). ${fix}`,
    };
  }
  return { user, wrap };
}
