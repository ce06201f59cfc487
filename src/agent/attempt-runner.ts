import { spawn, type ChildProcess } from 'node:child_process';
import type { Sandbox } from './sandbox.js';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AttemptStatusReport, JobAssignment, RunningAttempt } from '../domain/nodes/agent-protocol.js';
import { prepareEnvironment, type EnvironmentContext } from './environments/prepare-environment.js';

/** Folder of hangar_log.py (repo `python/`), put on every job's PYTHONPATH. */
export const pythonHelperDir = fileURLToPath(new URL('../../python', import.meta.url));

/** What a runner needs from the agent (HTTP, files); kept small so the runner is testable alone. */
export interface RunnerHooks {
  report(phase: AttemptStatusReport['phase'], extra?: { exitCode?: number; message?: string; checkpointSnapshotId?: string }): Promise<void>;
  /** Materializes the code snapshot and inputs into `codeDir`. */
  fetchFiles(codeDir: string): Promise<void>;
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
  /** Isolation for the command (bubblewrap when available). */
  sandbox?: Sandbox;
  /** Extra process environment (inherited by the job). */
  baseEnv: Record<string, string | undefined>;
}

/** Why an attempt was stopped. */
type StopReason = { kind: 'cancel'; message: string } | { kind: 'timeout'; message: string } | { kind: 'preempt'; message: string; deadline: string };

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
  private child: ChildProcess | undefined;
  private stopReason: StopReason | undefined;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly assignment: JobAssignment,
    workDir: string,
    private readonly hooks: RunnerHooks,
  ) {
    this.dir = join(workDir, 'jobs', assignment.jobId, String(assignment.attempt));
    this.stdLog = join(this.dir, 'user_logs', 'std_log.txt');
    this.checkpointDir = join(this.dir, 'checkpoints');
    this.preemptionFile = join(this.dir, 'preemption');
    this.systemLog = join(this.dir, 'system_logs', 'agent.txt');
    mkdirSync(dirname(this.stdLog), { recursive: true });
    mkdirSync(dirname(this.systemLog), { recursive: true });
  }

  /** The process group id of the running command (for cleanup by the provider). */
  get pgid(): number | undefined {
    return this.child?.pid;
  }

  /** Appends a timestamped line to the system log. */
  log(line: string): void {
    appendFileSync(this.systemLog, `${new Date().toISOString()} ${line}\n`);
  }

  /** Stops the attempt: SIGTERM to its process group, SIGKILL after `graceSeconds`. */
  stop(reason: StopReason, graceSeconds = this.assignment.graceSeconds): void {
    this.stopReason ??= reason;
    this.log(`stopping: ${reason.message}`);
    // Tell the job before the SIGTERM, so a handler that checks the file sees the deadline.
    if (reason.kind === 'preempt') writeFileSync(this.preemptionFile, `${reason.deadline}\n`);
    const pid = this.child?.pid;
    if (pid === undefined || this.state === 'exited') return;
    signalGroup(pid, 'SIGTERM');
    this.killTimer ??= setTimeout(() => signalGroup(pid, 'SIGKILL'), graceSeconds * 1000);
  }

  /** Runs the attempt to its end and reports every phase; never throws. */
  async run(): Promise<void> {
    try {
      await this.hooks.report('Preparing');
      const code = join(this.dir, 'code');
      mkdirSync(code, { recursive: true });
      this.log(`fetching code and inputs into ${code}`);
      await this.hooks.fetchFiles(code);
      mkdirSync(join(code, 'outputs'), { recursive: true });
      mkdirSync(this.checkpointDir, { recursive: true });
      await this.hooks.fetchCheckpoint(this.checkpointDir);
      const env = await prepareEnvironment(this.assignment.environment, { ...this.hooks.environment, log: (l) => this.log(l) });
      if (this.stopReason) return await this.finish(undefined);
      await this.hooks.report('Running');
      this.state = 'running';
      const exitCode = await this.spawnCommand(code, env);
      this.state = 'finalizing';
      await this.hooks.report('Finalizing');
      await this.hooks.uploadOutputs(join(code, 'outputs')).catch((err: Error) => this.log(`uploading outputs failed: ${err.message}`));
      await this.finish(exitCode);
    } catch (err) {
      this.log(`failed: ${(err as Error).message}`);
      this.state = 'exited';
      await this.hooks.report('Failed', { message: (err as Error).message }).catch(() => undefined);
    }
  }

  private async finish(exitCode: number | undefined): Promise<void> {
    this.state = 'exited';
    this.exitCode = exitCode;
    const stop = this.stopReason;
    const checkpoint = await this.saveCheckpoint();
    const code = exitCode === undefined ? {} : { exitCode };
    if (stop?.kind === 'preempt') await this.hooks.report('Preempted', { ...code, ...checkpoint, message: stop.message });
    else if (stop?.kind === 'cancel') await this.hooks.report('Canceled', { ...code, ...checkpoint, message: stop.message });
    else if (stop?.kind === 'timeout') await this.hooks.report('Failed', { ...code, ...checkpoint, message: stop.message });
    else if (exitCode === 0) await this.hooks.report('Completed', { exitCode, ...checkpoint });
    else await this.hooks.report('Failed', { exitCode: exitCode ?? -1, ...checkpoint, message: `the command exited with code ${exitCode ?? '?'}; see user_logs/std_log.txt` });
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

  private spawnCommand(cwd: string, prepared: Awaited<ReturnType<typeof prepareEnvironment>>): Promise<number> {
    const a = this.assignment;
    const base = this.hooks.baseEnv;
    const jobEnv: Record<string, string> = { ...a.env, ...prepared.env, HANGAR_OUTPUTS_DIR: join(cwd, 'outputs'), HANGAR_CHECKPOINT_DIR: this.checkpointDir, HANGAR_PREEMPTION_FILE: this.preemptionFile };
    const env: Record<string, string | undefined> = {
      ...base,
      ...jobEnv,
      PATH: [...prepared.pathPrefix, base.PATH ?? '/usr/bin:/bin'].join(delimiter),
      PYTHONPATH: [pythonHelperDir, base.PYTHONPATH].filter((p) => p).join(delimiter),
      PYTHONUNBUFFERED: '1',
    };
    const command = prepared.wrap ? prepared.wrap(a.command, cwd, jobEnv) : { file: '/bin/bash', args: ['-c', a.command] };
    // Inside the sandbox the attempt sees its own folder and the node's environments, nothing else of HANGAR_HOME.
    const { file, args } = this.hooks.sandbox ? this.hooks.sandbox.wrap(command.file, command.args, { readWrite: [this.dir], readOnly: [join(this.hooks.environment.workDir, 'envs'), join(this.hooks.environment.workDir, 'shims')] }) : command;
    this.log(`running: ${a.command}`);
    // One file for stdout and stderr, written by the kernel in order: the job's interleaved output.
    const out = openSync(this.stdLog, 'a');
    return new Promise((resolve) => {
      const child = spawn(file, args, { cwd, env, detached: true, stdio: ['ignore', out, out] });
      closeSync(out);
      this.child = child;
      if (child.pid !== undefined) this.hooks.spawned?.(child.pid);
      const timer = a.timeoutSeconds ? setTimeout(() => this.stop({ kind: 'timeout', message: `exceeded limits.timeout of ${a.timeoutSeconds} s; stopped` }), a.timeoutSeconds * 1000) : undefined;
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
