import { spawn, type ChildProcess } from 'node:child_process';
import { chownTree, type Sandbox } from './sandbox.js';
import {
  appendFileSync,
  chmodSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import { userInfo } from 'node:os';
import { delimiter, dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AttemptStatusReport, JobAssignment, RunningAttempt } from '../domain/nodes/agent-protocol.js';
import { prepareEnvironment, type EnvironmentContext } from './environments/prepare-environment.js';
import { linkBinds, type InputBind } from './input-materializer.js';
import { containerGpuEnv, gpuForProcess, gpuVisibilityEnv } from '../domain/nodes/gpu-assignment.js';
import { parseFirstFailure, processLogDir } from '../domain/jobs/process-plan.js';
import { openInside } from './log-shipper.js';
import { readServingPort } from './serving-port.js';

/** The node's public CAs (Debian's ca-certificates), put before the server's CA in the job's bundle. */
const SYSTEM_CA_FILE = '/etc/ssl/certs/ca-certificates.crt';

let systemCaText: string | undefined;
/** The node's public CAs, read once per agent (a few hundred kB that every attempt's bundle starts with). */
function systemCas(): string {
  systemCaText ??= existsSync(SYSTEM_CA_FILE) ? readFileSync(SYSTEM_CA_FILE, 'utf8').trimEnd() : '';
  return systemCaText;
}

let caBundle: { serverCa: string; bytes: Buffer } | undefined;
/** An attempt's CA bundle as bytes, encoded once per server CA: encoding it was a few ms of every tiny job. */
function caBundleBytes(serverCa: string): Buffer {
  if (caBundle?.serverCa !== serverCa)
    caBundle = { serverCa, bytes: Buffer.from(`${systemCas()}\n${serverCa.trim()}\n`) };
  return caBundle.bytes;
}

/** Folder of hangar_log.py (repo `python/`), put on every job's PYTHONPATH. */
export const pythonHelperDir = fileURLToPath(new URL('../../python', import.meta.url));

/** What a runner needs from the agent (HTTP, files); kept small so the runner is testable alone. */
export interface RunnerHooks {
  report(
    phase: AttemptStatusReport['phase'],
    extra?: { exitCode?: number; message?: string; checkpointSnapshotId?: string },
  ): Promise<void>;
  /** Materializes the code snapshot and inputs into `codeDir`; answers the inputs to bind into the sandbox (ro_mount, rw_mount). */
  fetchFiles(codeDir: string): Promise<InputBind[] | void>;
  /** Uploads `outputsDir` after the command ends. */
  uploadOutputs(outputsDir: string): Promise<void>;
  /** Fills `dir` with the checkpoint the job's last attempt left (nothing on a first attempt). */
  fetchCheckpoint(dir: string): Promise<void>;
  /** Uploads `dir` when the attempt ends; answers its snapshot id (undefined when empty). */
  uploadCheckpoint(dir: string): Promise<string | undefined>;
  /** Environment preparation context (node facts, system log). */
  environment: Omit<EnvironmentContext, 'log'>;
  /** The command started in its own process group `pgid` (recorded so a provider can clean up). */
  spawned?: (pgid: number) => void;
  /** Isolation for the command (bubblewrap); absent: the command runs directly (unit tests). */
  sandbox?: Sandbox;
  /** The agent's environment: only PATH, LANG and the `passthrough` names are taken from it, nothing else reaches the job. */
  baseEnv: Record<string, string | undefined>;
  /** Names of baseEnv variables the job also gets: the operator's allowlist, and a Slurm allocation's SLURM_*. */
  passthrough?: (name: string) => boolean;
  /** This node's id, given to the job as HANGAR_NODE_ID (a provider finds stray job processes by it). */
  nodeId?: string;
  /** The GPUs this node holds (host indices): the job sees exactly these. Absent: the node has none to hand out. */
  gpus?: number[];
  /** A deployment replica's scoring host opened its port (servingPort() answers it now): report it soon. */
  servingPortOpened?: () => void;
}

/** Why an attempt was stopped. */
type StopReason =
  | { kind: 'cancel'; message: string }
  | { kind: 'timeout'; message: string }
  | { kind: 'preempt'; message: string; deadline: string };

/**
 * Runs one job attempt: prepare (files, environment) → run `/bin/bash -c command` in its own
 * process group → finalize (outputs) → report. Cancel and timeout stop the whole process tree:
 * SIGTERM to the group, SIGKILL after the grace period.
 */
export class AttemptRunner {
  state: RunningAttempt['state'] = 'preparing';
  exitCode: number | undefined;
  readonly dir: string;
  readonly stdLog: string;
  readonly systemLog: string;
  /** HANGAR_CHECKPOINT_DIR: restored from the last attempt before the command, uploaded after it. */
  readonly checkpointDir: string;
  /** HANGAR_PREEMPTION_FILE: written with the deadline (ISO time) when the node is being preempted. */
  readonly preemptionFile: string;
  /** HOME of the job: a folder of its own in the attempt's folder. */
  readonly homeDir: string;
  /** REQUESTS_CA_BUNDLE: the node's CAs and the server's, when the assignment carries its CA. */
  readonly caBundle: string;
  /**
   * A distributed job's per-process logs: the name the server keeps each as, and where the
   * launcher writes it, relative to `dir` (inside the job's own folder: open with openInside).
   */
  readonly processLogs: { log: string; relPath: string }[];
  private child: ChildProcess | undefined;
  /** Inputs mounted into the sandbox rather than copied (ro_mount, rw_mount). */
  private binds: InputBind[] = [];
  private stopReason: StopReason | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private port: number | undefined;

  constructor(
    readonly assignment: JobAssignment,
    workDir: string,
    private readonly hooks: RunnerHooks,
  ) {
    this.dir = join(workDir, 'jobs', assignment.jobId, String(assignment.attempt));
    this.stdLog = join(this.dir, 'user_logs', 'std_log.txt');
    this.checkpointDir = join(this.dir, 'checkpoints');
    this.preemptionFile = join(this.dir, 'preemption');
    this.homeDir = join(this.dir, 'home');
    this.caBundle = join(this.dir, 'ca-bundle.pem');
    this.systemLog = join(this.dir, 'system_logs', 'agent.txt');
    this.processLogs = (assignment.processes ?? []).map((p) => ({
      log: p.log,
      relPath: join('code', processLogDir, `std_log_process_${p.rank}.txt`),
    }));
    mkdirSync(dirname(this.stdLog), { recursive: true });
    mkdirSync(dirname(this.systemLog), { recursive: true });
  }

  /** The process group id of the running command (for cleanup by the provider). */
  get pgid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * A deployment replica's port, once its scoring host wrote it to the assignment's servingPortFile
   * (in the code folder the job owns: read without following links, and only a plain port number).
   */
  servingPort(): number | undefined {
    const file = this.assignment.servingPortFile;
    if (file === undefined || this.state !== 'running') return undefined;
    this.port ??= readServingPort(join(this.dir, 'code'), file);
    return this.port;
  }

  /** Looks for the replica's port every 100 ms while the command runs, and says when it appears. */
  private watchServingPort(child: ChildProcess): void {
    if (this.assignment.servingPortFile === undefined) return;
    const timer = setInterval(() => {
      if (this.servingPort() === undefined) return;
      clearInterval(timer);
      this.hooks.servingPortOpened?.();
    }, 100);
    child.once('exit', () => clearInterval(timer));
  }

  /** Appends a timestamped line to the system log. */
  log(line: string): void {
    appendFileSync(this.systemLog, `${new Date().toISOString()} ${line}\n`);
  }

  /**
   * Records that the node is being taken back, before any signal: a job that Slurm itself signals
   * may exit 0 at once, and its attempt must still end Preempted (resumed), not Completed.
   */
  preempting(reason: StopReason & { kind: 'preempt' }): void {
    this.stopReason ??= reason;
  }

  /** Stops the attempt: SIGTERM to its process group, SIGKILL after `graceSeconds`. */
  stop(reason: StopReason, graceSeconds = this.assignment.graceSeconds): void {
    // The server repeats a stop on every heartbeat: the job gets one SIGTERM, so its handler can run through the grace period.
    if (this.killTimer) return;
    this.stopReason ??= reason;
    this.log(`stopping: ${reason.message}`);
    // Tell the job before the SIGTERM, so a handler that checks the file sees the deadline.
    if (reason.kind === 'preempt') writeFileSync(this.preemptionFile, `${reason.deadline}\n`);
    const pid = this.child?.pid;
    if (pid === undefined || this.state === 'exited') return;
    signalGroup(pid, 'SIGTERM');
    this.killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceSeconds * 1000);
  }

  /** Runs the attempt to its end and reports every phase; never throws. */
  async run(): Promise<void> {
    try {
      await this.hooks.report('Preparing');
      // A node without a usable sandbox refuses every job, saying what is missing and how to install it.
      if (this.hooks.sandbox?.problem) throw new Error(this.hooks.sandbox.problem);
      const code = join(this.dir, 'code');
      mkdirSync(code, { recursive: true });
      this.log(`fetching code and inputs into ${code}`);
      this.binds = (await this.hooks.fetchFiles(code)) ?? [];
      // Without bubblewrap a mount becomes a link to its source (cached copies are read-only on disk).
      if (this.hooks.sandbox?.kind !== 'bubblewrap') linkBinds(this.binds);
      mkdirSync(join(code, 'outputs'), { recursive: true });
      if (this.processLogs.length > 0) mkdirSync(join(code, processLogDir), { recursive: true });
      for (const dir of this.assignment.outputDirs ?? []) {
        const path = resolve(code, dir);
        if (!path.startsWith(`${resolve(code)}${sep}`))
          throw new Error(`output folder ${dir} is outside the job's folder`);
        mkdirSync(path, { recursive: true });
      }
      mkdirSync(this.checkpointDir, { recursive: true });
      await this.hooks.fetchCheckpoint(this.checkpointDir);
      const env = await prepareEnvironment(this.assignment.environment, {
        ...this.hooks.environment,
        log: (l) => this.log(l),
      });
      if (this.stopReason) return await this.finish(undefined);
      mkdirSync(this.homeDir, { recursive: true, mode: 0o700 });
      // The job user must enter its own folder whatever the agent's umask (it cannot write to it: the agent owns it).
      chmodSync(this.dir, 0o755);
      this.writeCaBundle();
      // A root agent runs the command as the job user: it owns what it writes to, nothing else of the attempt
      // (the attempt folder and its logs stay the agent's, so the job cannot swap them for links).
      const user = this.hooks.sandbox?.user;
      if (user)
        for (const dir of [code, this.checkpointDir, this.homeDir]) chownTree(dir, user.uid, user.gid);
      await this.hooks.report('Running');
      this.state = 'running';
      const exitCode = await this.spawnCommand(code, env);
      this.state = 'finalizing';
      await this.hooks.report('Finalizing');
      let outputsProblem: string | undefined;
      try {
        const outputs = outputsFolder(code);
        if (outputs) await this.hooks.uploadOutputs(outputs);
      } catch (err) {
        outputsProblem = (err as Error).message;
        this.log(`uploading outputs failed: ${outputsProblem}`);
      }
      await this.finish(exitCode, outputsProblem);
    } catch (err) {
      this.log(`failed: ${(err as Error).message}`);
      this.state = 'exited';
      await this.hooks.report('Failed', { message: (err as Error).message }).catch(() => undefined);
    }
  }

  private async finish(exitCode: number | undefined, outputsProblem?: string): Promise<void> {
    this.state = 'exited';
    this.exitCode = exitCode;
    const checkpoint = await this.saveCheckpoint();
    // Read after the checkpoint is saved: a preemption notice racing the command's exit is seen.
    const stop = this.stopReason;
    const code = exitCode === undefined ? {} : { exitCode };
    if (stop?.kind === 'preempt')
      await this.hooks.report('Preempted', { ...code, ...checkpoint, message: stop.message });
    else if (stop?.kind === 'cancel')
      await this.hooks.report('Canceled', { ...code, ...checkpoint, message: stop.message });
    else if (stop?.kind === 'timeout')
      await this.hooks.report('Failed', { ...code, ...checkpoint, message: stop.message });
    else if (exitCode === 0 && !outputsProblem)
      await this.hooks.report('Completed', { exitCode, ...checkpoint });
    else {
      const failed = this.firstFailure();
      const command =
        exitCode === 0
          ? 'the command exited with code 0'
          : failed
            ? `process rank ${failed.rank} exited with code ${failed.exitCode}; see user_logs/std_log_process_${failed.rank}.txt`
            : `the command exited with code ${exitCode ?? '?'}; see user_logs/std_log.txt`;
      // Outputs that could not be stored fail the job with that reason, not a bare exit code.
      const message = outputsProblem
        ? `${command}, but its outputs could not be stored: ${outputsProblem}`
        : command;
      await this.hooks.report('Failed', { exitCode: exitCode ?? -1, ...checkpoint, message });
    }
  }

  /** Which process of a distributed job failed first, as its launcher recorded it. */
  private firstFailure(): { rank: number; exitCode: number } | undefined {
    if (this.processLogs.length === 0) return undefined;
    const fd = openInside(this.dir, join('code', processLogDir, 'first_failure'));
    if (fd === undefined) return undefined;
    try {
      const buf = Buffer.alloc(64);
      return parseFirstFailure(buf.subarray(0, readSync(fd, buf, 0, 64, 0)).toString());
    } finally {
      closeSync(fd);
    }
  }

  /**
   * The server's CA after the node's public ones, in the attempt's folder (the job sees it there; the
   * server's home it cannot), readable by the job user, owned by the agent so the job cannot swap it.
   */
  private writeCaBundle(): void {
    const ca = this.assignment.caPem;
    if (!ca) return;
    writeFileSync(this.caBundle, caBundleBytes(ca), { mode: 0o644 });
  }

  /** Uploads the checkpoint folder; a failed upload is logged, never fatal to the report. */
  private async saveCheckpoint(): Promise<{ checkpointSnapshotId?: string }> {
    if (!existsSync(this.checkpointDir)) return {};
    try {
      const id = await this.hooks.uploadCheckpoint(this.checkpointDir);
      if (id) this.log(`checkpoint saved as snapshot ${id}`);
      return id ? { checkpointSnapshotId: id } : {};
    } catch (err) {
      this.log(`saving the checkpoint failed: ${(err as Error).message}`);
      return {};
    }
  }

  /**
   * The node's GPUs and nothing else: CUDA_VISIBLE_DEVICES (renumbered from 0 inside a container,
   * with NVIDIA_VISIBLE_DEVICES naming the host's), and for a distributed job's launcher each local
   * rank's share (HANGAR_GPUS_LOCAL_RANK_<n>, one GPU each when the counts match).
   */
  private gpuEnv(container: boolean): Record<string, string> {
    const gpus = this.hooks.gpus;
    if (gpus === undefined) return {};
    const visible = (share: number[]): Record<string, string> =>
      container ? containerGpuEnv(gpus, share) : gpuVisibilityEnv(share);
    const perNode = this.assignment.processes?.length ?? 0;
    const ranks = Object.fromEntries(
      Array.from({ length: perNode }, (_, localRank) => [
        `HANGAR_GPUS_LOCAL_RANK_${localRank}`,
        visible(gpuForProcess(gpus, localRank, perNode)).CUDA_VISIBLE_DEVICES ?? '',
      ]),
    );
    return { ...visible(gpus), ...ranks };
  }

  private spawnCommand(
    cwd: string,
    prepared: Awaited<ReturnType<typeof prepareEnvironment>>,
  ): Promise<number> {
    const a = this.assignment;
    // A container sees only its code folder (and has no network): the bundle is for jobs on the node.
    const bundle: Record<string, string> =
      a.caPem && !prepared.wrap && !a.env.REQUESTS_CA_BUNDLE ? { REQUESTS_CA_BUNDLE: this.caBundle } : {};
    const jobEnv: Record<string, string> = {
      ...a.env,
      ...bundle,
      ...prepared.env,
      ...this.gpuEnv(a.environment.kind === 'image' && prepared.wrap !== undefined),
      HANGAR_OUTPUTS_DIR: join(cwd, 'outputs'),
      HANGAR_CHECKPOINT_DIR: this.checkpointDir,
      HANGAR_PREEMPTION_FILE: this.preemptionFile,
    };
    const env = this.processEnv(jobEnv, prepared.pathPrefix);
    const command = prepared.wrap
      ? prepared.wrap(a.command, cwd, jobEnv)
      : { file: '/bin/bash', args: ['-c', a.command] };
    // Inside the sandbox the attempt sees its own folder and the node's environments, nothing else of the agent's folders.
    const { file, args } = this.hooks.sandbox
      ? this.hooks.sandbox.wrap(command.file, command.args, {
          readWrite: [this.dir],
          readOnly: [
            join(this.hooks.environment.workDir, 'envs'),
            join(this.hooks.environment.workDir, 'shims'),
          ],
          cwd,
          binds: this.binds,
        })
      : command;
    this.log(`running: ${a.command}`);
    // One file for stdout and stderr, written by the kernel in order: the job's interleaved output.
    const out = openSync(this.stdLog, 'a');
    return new Promise((resolve) => {
      const child = spawn(file, args, { cwd, env, detached: true, stdio: ['ignore', out, out] });
      closeSync(out);
      this.child = child;
      if (child.pid !== undefined) this.hooks.spawned?.(child.pid);
      this.watchServingPort(child);
      // Stopped while it was being started (a cancel, a refused report): it gets the signal now.
      if (this.stopReason) this.stop(this.stopReason);
      const timer = a.timeoutSeconds
        ? setTimeout(
            () =>
              this.stop({
                kind: 'timeout',
                message: `exceeded limits.timeout of ${a.timeoutSeconds} s; stopped`,
              }),
            a.timeoutSeconds * 1000,
          )
        : undefined;
      child.on('error', (err) => {
        appendFileSync(this.stdLog, `hangar: could not start the command: ${err.message}\n`);
        resolve(127);
      });
      child.on('exit', (code, signal) => {
        if (timer) clearTimeout(timer);
        // The command's leader is gone; make sure nothing it started lingers in its group.
        if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
        if (this.killTimer) clearTimeout(this.killTimer);
        this.log(`command ended with ${signal ? `signal ${signal}` : `exit code ${code ?? '?'}`}`);
        resolve(code ?? 128 + (signal ? signalNumber(signal) : 0));
      });
    });
  }

  /**
   * The job's whole environment, built from nothing: the assignment's variables (HANGAR_*, MLFLOW_*,
   * MSI_*, AZUREML_*, distribution and the spec's environment_variables), the prepared environment's,
   * PATH, HOME, USER, LANG and the Python settings, plus what `passthrough` allows. Nothing else
   * of the agent's (hence the server's) environment reaches the job.
   */
  private processEnv(jobEnv: Record<string, string>, pathPrefix: string[]): Record<string, string> {
    const base = this.hooks.baseEnv;
    const user = this.hooks.sandbox?.user?.name ?? userInfo().username;
    const pass = this.hooks.passthrough;
    const passed = pass
      ? Object.fromEntries(
          Object.entries(base).filter((e): e is [string, string] => e[1] !== undefined && pass(e[0])),
        )
      : {};
    return {
      ...passed,
      ...(this.hooks.nodeId ? { HANGAR_NODE_ID: this.hooks.nodeId } : {}),
      ...jobEnv,
      PATH: [...pathPrefix, base.PATH ?? '/usr/local/bin:/usr/bin:/bin'].join(delimiter),
      HOME: this.homeDir,
      USER: user,
      LOGNAME: user,
      LANG: jobEnv.LANG ?? base.LANG ?? 'C.UTF-8',
      // The job's own PYTHONPATH comes first; Hangar's helper folder is appended.
      PYTHONPATH: [jobEnv.PYTHONPATH, pythonHelperDir].filter((p) => p).join(delimiter),
      PYTHONUNBUFFERED: '1',
    };
  }
}

/**
 * The outputs folder to upload, or undefined when the job removed it. The job owns the code
 * folder, so ./outputs may have become a link: one leading out of the code folder (say, to the
 * server's data) is refused rather than read with the agent's rights.
 */
function outputsFolder(code: string): string | undefined {
  const outputs = join(code, 'outputs');
  if (!existsSync(outputs)) return undefined;
  if (!lstatSync(outputs).isSymbolicLink()) return outputs;
  const target = realpathSync(outputs);
  const root = realpathSync(code);
  if (!target.startsWith(`${root}${sep}`) || !lstatSync(target).isDirectory())
    throw new Error(
      "./outputs is a link that leads out of the job's folder; outputs must be files under ./outputs",
    );
  return target;
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGTERM: 15, SIGKILL: 9, SIGINT: 2 } as Record<string, number>)[signal] ?? 1;
}

/** Signals a whole process group; a gone group is fine. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}

/** Whether a path exists (tiny helper for hooks). */
export const exists = existsSync;
