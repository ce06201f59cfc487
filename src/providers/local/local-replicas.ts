import { spawn, type ChildProcess } from 'node:child_process';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Hangar's scoring host (repo `python/`), the program every replica runs. */
export const scoringHostPath = fileURLToPath(
  new URL('../../../python/hangar_scoring_host.py', import.meta.url),
);

/** What one replica runs. */
export interface ReplicaLaunch {
  /** Unique among this host's replicas; names its folder. */
  id: string;
  /** The user's score.py (inside the deployment's code folder). */
  entryScript: string;
  /** AZUREML_MODEL_DIR; absent for a deployment without a model. */
  modelDir?: string;
  python: string;
  /** The deployment's environment_variables and the host's settings (WORKER_COUNT). */
  env: Record<string, string>;
  /** Folders the replica reads (its generation's code and model), mounted back read-only in the sandbox. */
  readOnly: string[];
}

/**
 * How replica commands are isolated: the agent's bubblewrap sandbox (HANGAR_HOME hidden, only
 * the folders given mounted back), or a refusal saying why it cannot start one here.
 */
export interface ReplicaIsolation {
  wrap?: (
    file: string,
    args: string[],
    visible: { readWrite: string[]; readOnly: string[]; cwd: string },
  ) => { file: string; args: string[] };
  /** The unprivileged user replicas run as (a root server); its folder is given to it. */
  owner?: { uid: number; gid: number };
  /** Set when replicas cannot run here (no usable sandbox): written to the replica's log. */
  problem?: string;
}

/** A running (or ended) replica process. */
export interface ReplicaProcess {
  readonly id: string;
  readonly pid: number | undefined;
  readonly logPath: string;
  /** The port it listens on, once init() is done and the port is open. */
  port(): number | undefined;
  /** The address its port is reached at (this host's replicas: loopback). */
  host(): string;
  /** Why it cannot be probed yet (a replica job waiting for a node); undefined once it runs. */
  waiting?(): string | undefined;
  /** Why it ended, when that is more than its exit code says (a replica job's error). */
  endReason?(): string | undefined;
  /** The exit code (or -1 for a signal) once it ended; undefined while it runs. */
  exitCode(): number | undefined;
  /** SIGTERM to its process group, SIGKILL after `graceMs`; resolves when it is gone. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * The serving pool's backend on this host: each replica is a scoring host process in its own
 * process group under `root/<id>`, its stdout and stderr in `inference-server.log`. The serving
 * loop decides; this class only starts, reads and stops processes.
 */
export class LocalReplicaHost {
  private readonly running = new Map<string, ReplicaProcess>();

  constructor(
    private readonly root: string,
    private readonly baseEnv: Record<string, string | undefined>,
    private readonly isolation: ReplicaIsolation = {},
  ) {}

  start(launch: ReplicaLaunch): ReplicaProcess {
    const dir = join(this.root, launch.id);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const logPath = join(dir, 'inference-server.log');
    const portFile = join(dir, 'port');
    const log = openSync(logPath, 'a', 0o600);
    const owner = this.isolation.owner;
    if (owner) chownSync(dir, owner.uid, owner.gid);
    const problem = this.isolation.problem;
    const argv = [
      scoringHostPath,
      '--entry-script',
      launch.entryScript,
      ...(launch.modelDir ? ['--model-dir', launch.modelDir] : []),
      '--port',
      '0',
      '--port-file',
      portFile,
      '--exit-with-parent',
    ];
    const command = this.isolation.wrap
      ? this.isolation.wrap(launch.python, argv, {
          readWrite: [dir],
          readOnly: [...launch.readOnly, dirname(scoringHostPath)],
          cwd: dir,
        })
      : { file: launch.python, args: argv };
    let child: ChildProcess;
    try {
      // No usable sandbox: the replica "fails to start" with the reason in its log.
      if (problem) writeFileSync(log, `cannot start the replica: ${problem}\n`);
      child = spawn(problem ? '/bin/sh' : command.file, problem ? ['-c', 'exit 126'] : command.args, {
        detached: true,
        cwd: dir,
        stdio: ['ignore', log, log],
        env: { ...this.baseEnv, PYTHONUNBUFFERED: '1', ...launch.env },
      });
    } finally {
      closeSync(log);
    }
    let code: number | undefined;
    let port: number | undefined;
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (c) => {
        code = c ?? -1;
        resolve();
      });
      // A spawn that fails (python not found) ends the replica as a command not found would.
      child.once('error', (err) => {
        code = 127;
        try {
          writeFileSync(logPath, `cannot start ${launch.python}: ${err.message}\n`, { flag: 'a' });
        } catch {
          // The replica's folder is gone.
        }
        resolve();
      });
    });
    const proc: ReplicaProcess = {
      id: launch.id,
      pid: child.pid,
      logPath,
      port: () => {
        if (port === undefined && code === undefined && existsSync(portFile)) {
          const n = Number(readFileSync(portFile, 'utf8').trim());
          if (Number.isInteger(n) && n > 0) port = n;
        }
        return code === undefined ? port : undefined;
      },
      exitCode: () => code,
      host: () => '127.0.0.1',
      stop: async (graceMs = 3000) => {
        if (code === undefined && child.pid !== undefined) {
          signalGroup(child.pid, 'SIGTERM');
          const killer = setTimeout(
            () => child.pid !== undefined && signalGroup(child.pid, 'SIGKILL'),
            graceMs,
          );
          await exited;
          clearTimeout(killer);
        }
        this.running.delete(launch.id);
      },
    };
    this.running.set(launch.id, proc);
    return proc;
  }

  /** Stops every replica this host started (server shutdown). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.running.values()].map((p) => p.stop(2000)));
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
