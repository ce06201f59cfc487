import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  carriedLogLimit,
  type CarriedLog,
  type JobAssignment,
  type NodeCapacity,
  type RegisterResponse,
} from '../domain/nodes/agent-protocol.js';
import type { SystemSample } from '../domain/nodes/system-metrics.js';
import { version } from '../server/version.js';
import { buildSnapshot } from '../snapshots/snapshot-builder.js';
import {
  fetchBlob,
  fetchManifest,
  uploadSnapshot,
  type SnapshotTransport,
} from '../snapshots/snapshot-client.js';
import { materializeSnapshot } from '../snapshots/snapshot-materializer.js';
import { materializeInputs } from './input-materializer.js';
import { AgentCallError, AgentClient, backoffMs } from './agent-client.js';
import type { AgentOptions } from './agent-options.js';
import { AttemptRunner, signalGroup } from './attempt-runner.js';
import { detectCapacity, which } from './capacity.js';
import { SystemSampler } from './system-sampler.js';
import { chownTree, createSandbox, unsandboxed, type Sandbox } from './sandbox.js';
import { LogShipper } from './log-shipper.js';
import { AttemptReports, finalPhases } from './attempt-reports.js';
import { InstanceRuntime } from './instance/instance-runtime.js';
import { NodeSsh } from './instance/node-ssh.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/**
 * How long a Preparing or Finalizing report waits for the next one (which implies it) before it
 * is sent: short enough that a long environment build or upload shows at once to a person.
 */
const passingPhaseHoldMs = 100;

/**
 * The unsent end of each log, for the final report to carry (one round trip instead of a chunk's
 * and then the report's); when that is more than a report carries, it goes as chunks first and
 * the answer is empty.
 */
async function lastLogLines(shippers: readonly LogShipper[]): Promise<CarriedLog[]> {
  await Promise.all(shippers.map((s) => s.settle()));
  // Base64 makes 4 characters of 3 bytes.
  let budget = Math.floor((carriedLogLimit * 3) / 4);
  const carried: CarriedLog[] = [];
  for (const shipper of shippers) {
    const tail = shipper.unsent(budget);
    if (tail === 'too long') {
      await Promise.all(shippers.map((s) => s.flush()));
      return [];
    }
    if (!tail) continue;
    carried.push(tail);
    budget -= Buffer.byteLength(tail.data, 'base64');
  }
  return carried;
}

/** A running replica's port for the heartbeat (nothing for other attempts). */
const portOf = (r: AttemptRunner): { port?: number } => {
  const port = r.servingPort();
  return port === undefined ? {} : { port };
};

/**
 * A failure worth retrying: no answer or one cut short (the server is down or restarting, fetch's
 * TypeError) or a 5xx; a 4xx or a local error (a file gone) is final.
 */
function transient(err: unknown): boolean {
  const status = (err as { status?: unknown }).status;
  if (typeof status === 'number') return status >= 500;
  return err instanceof TypeError && /fetch failed|terminated/.test(err.message);
}

/**
 * `hangar agent`: connects out to the server, registers once, heartbeats, leases job attempts,
 * runs them, ships their logs. The same program for every provider.
 */
export class Agent {
  private readonly client: AgentClient;
  private readonly runners = new Map<string, AttemptRunner>();
  /** Attempts whose final report is on its way: their slot is leased again meanwhile; each one's end. */
  private readonly ending = new Map<string, Promise<void>>();
  private capacity!: NodeCapacity;
  private session!: RegisterResponse;
  private stopping = false;
  private slotFreed: (() => void) | undefined;
  private instance: InstanceRuntime | undefined;
  /** Ends the heartbeat loop's wait, so the next heartbeat goes now. */
  private heartbeatNow: (() => void) | undefined;
  /** Cluster nodes with SSH on: the node's SSH server (started when the server asks for it). */
  private nodeSsh: NodeSsh | undefined;
  private sandbox!: Sandbox;
  private sampler: SystemSampler | undefined;

  constructor(
    private readonly options: AgentOptions,
    private readonly env: Record<string, string | undefined>,
    private readonly log: (line: string) => void = (l) =>
      process.stdout.write(`${new Date().toISOString()} ${l}\n`),
  ) {
    this.client = new AgentClient(options.server.replace(/\/$/, ''), () => this.stopping, log);
  }

  private get sessionFile(): string {
    return join(this.options.workDir, 'session.json');
  }

  /** Registers (or reuses the saved session) and starts the heartbeat and lease loops. */
  async start(): Promise<void> {
    // The node's folder holds its session token and every job's files: its owner only.
    mkdirSync(this.options.workDir, { recursive: true, mode: 0o700 });
    chmodSync(this.options.workDir, 0o700);
    const token = this.takeToken();
    this.capacity = detectCapacity(this.env.PATH, this.options.python);
    // A node bound to some of its host's GPUs (the local provider's share) has those, and only those.
    const bound = this.options.gpus;
    if (bound) this.capacity.gpus = this.capacity.gpus.filter((g) => bound.includes(g.index));
    // Jobs never see the agent's folder (session token, other jobs) nor the folders it was told to protect.
    this.sandbox = this.options.embedded
      ? unsandboxed()
      : createSandbox({
          protect: [this.options.workDir, ...(this.options.protect ?? [])],
          path: this.env.PATH,
          ...(this.options.jobUser ? { jobUser: this.options.jobUser } : {}),
          ...(this.options.insecureNoSandbox ? { insecureNoSandbox: true } : {}),
        });
    this.capacity.sandbox = this.sandbox.kind;
    if (this.sandbox.problem) {
      this.capacity.sandboxProblem = this.sandbox.problem;
      this.log(this.sandbox.problem);
    } else if (this.sandbox.kind === 'none' && !this.options.embedded)
      this.log(
        "INSECURE: jobs run without the sandbox (insecureNoSandbox): they can read whatever this agent's OS user can",
      );
    const saved = existsSync(this.sessionFile)
      ? (JSON.parse(readFileSync(this.sessionFile, 'utf8')) as RegisterResponse)
      : undefined;
    if (saved) this.session = saved;
    else {
      if (!token)
        throw new Error(
          `no node token: give --token-file (the file is read and deleted at start)${this.options.tokenFile ? `; ${this.options.tokenFile} does not exist (already used?)` : ''}`,
        );
      this.session = await this.client.register({
        nodeToken: token,
        hostname: hostname(),
        pid: process.pid,
        agentVersion: version,
        capacity: this.capacity,
        address: hostname(),
      });
      writeFileSync(this.sessionFile, JSON.stringify(this.session), { mode: 0o600 });
    }
    this.client.sessionToken = this.session.sessionToken;
    if (this.options.instance) {
      this.instance = new InstanceRuntime({
        instanceDir: this.options.instance.dir,
        jupyterCommand: this.options.instance.jupyterCommand,
        containerRuntime: this.capacity.containerRuntime,
        baseEnv: this.env,
        log: this.log,
      });
    }
    this.log(
      `registered as node ${this.session.nodeId} (${this.capacity.cores} cores, python ${this.capacity.defaultPython}, ${this.slots} slot(s), sandbox ${this.sandbox.kind}${this.sandbox.user ? `, jobs run as ${this.sandbox.user.name}` : ''})`,
    );
    this.sampler = new SystemSampler({
      nvidiaSmi: this.capacity.gpus.length > 0 ? which('nvidia-smi', this.env.PATH) : undefined,
      gpus: this.nodeGpus,
      diskPath: this.options.workDir,
      jobs: () =>
        [...this.runners.values()].map((r) => ({
          jobId: r.assignment.jobId,
          attempt: r.assignment.attempt,
          pid: r.pgid,
          gpus: this.nodeGpus ?? [],
        })),
      log: this.log,
    });
    this.sampler.start((this.session.sampleIntervalSeconds ?? 5) * 1000);
    void this.heartbeatLoop();
    void this.leaseLoop();
  }

  /** The GPUs jobs here see: the bound ones, else every one found; undefined when there are none to hand out. */
  private get nodeGpus(): number[] | undefined {
    if (this.options.gpus) return this.options.gpus;
    return this.capacity.gpus.length > 0 ? this.capacity.gpus.map((g) => g.index) : undefined;
  }

  /** The one-time token: given in-process, or read from its file, which is deleted at once (it is good for one registration only). */
  private takeToken(): string | undefined {
    const file = this.options.tokenFile;
    if (!file || !existsSync(file)) return this.options.token;
    const token = readFileSync(file, 'utf8').trim();
    rmSync(file, { force: true });
    return token || this.options.token;
  }

  private get slots(): number {
    return this.options.slots ?? this.capacity.cores;
  }

  private async heartbeatLoop(): Promise<void> {
    let samples: SystemSample[] = [];
    while (!this.stopping) {
      try {
        const running = [...this.runners.values()].map((r) => ({
          jobId: r.assignment.jobId,
          attempt: r.assignment.attempt,
          state: r.state,
          ...(r.exitCode === undefined ? {} : { exitCode: r.exitCode }),
          ...portOf(r),
        }));
        const instance = this.instance ? await this.instance.report() : undefined;
        samples = this.sampler?.take() ?? [];
        const ssh = this.nodeSsh?.report();
        const answer = await this.client.heartbeat({
          running,
          ...(instance ? { instance } : {}),
          ...(ssh ? { ssh } : {}),
          ...(samples.length > 0 ? { samples } : {}),
        });
        samples = [];
        if (answer.instance && this.instance)
          await this.instance
            .apply(answer.instance)
            .catch((err: Error) => this.log(`instance: ${err.message}`));
        if (answer.ssh && !this.instance) {
          this.nodeSsh ??= new NodeSsh(this.options.workDir, this.env, this.log);
          await this.nodeSsh.apply(answer.ssh).catch((err: Error) => this.log(`ssh: ${err.message}`));
        }
        for (const s of answer.stop)
          this.runners
            .get(s.jobId)
            ?.stop(
              s.preempt
                ? { kind: 'preempt', message: s.reason, deadline: s.preempt.deadline }
                : { kind: 'cancel', message: s.reason },
              s.graceSeconds,
            );
        if (answer.shutdown) await this.stop('the server released this node');
      } catch (err) {
        // Samples a heartbeat could not deliver go with the next one.
        this.sampler?.giveBack(samples);
        if (err instanceof AgentCallError && err.status === 401) return this.fatal(err);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.session.heartbeatIntervalMs);
        // A replica's port goes to the server at once: requests wait on it (scale from zero).
        this.heartbeatNow = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.heartbeatNow = undefined;
    }
  }

  private async leaseLoop(): Promise<void> {
    while (!this.stopping) {
      // An attempt sending its final report holds no slot: the next lease waits at the server
      // while that report arrives and the scheduler places the next job here.
      const free = this.slots - (this.runners.size - this.ending.size);
      if (free <= 0) {
        await new Promise<void>((r) => (this.slotFreed = r));
        continue;
      }
      try {
        const lease = await this.client.lease(
          { freeSlots: free },
          (this.session.leaseWaitSeconds + 15) * 1000,
        );
        for (const a of lease.assignments) this.launch(a);
      } catch (err) {
        if (err instanceof AgentCallError && err.status === 401) return this.fatal(err);
        if (!this.stopping) await sleep(1000);
      }
    }
  }

  private fatal(err: Error): void {
    this.log(`the server refused this node: ${err.message}; exiting`);
    // A standalone agent exits; one inside `hangar job create` (local target) just stops.
    void this.stop('refused by the server').then(() => (this.options.embedded ? undefined : process.exit(3)));
  }

  /**
   * A snapshot transfer retried through transient failures, as the agent's calls are: a trial whose
   * command ended while the server restarted (even kill -9) still stores its outputs and checkpoint.
   */
  private async persistently<T>(what: string, transfer: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await transfer();
      } catch (err) {
        if (!transient(err) || this.stopping) throw err;
        if (attempt === 0 || attempt % 10 === 0)
          this.log(`${what} failed (${(err as Error).message}); retrying`);
      }
      await sleep(backoffMs(attempt));
    }
  }

  private transport(): SnapshotTransport {
    return { url: this.client.server, headers: { authorization: `Bearer ${this.session.sessionToken}` } };
  }

  private launch(a: JobAssignment): void {
    const previous = this.runners.get(a.jobId);
    if (previous) {
      // A retry of an attempt that is still ending here (its final report went out): after it.
      const ended = this.ending.get(a.jobId);
      if (ended && previous.assignment.attempt < a.attempt) void ended.then(() => this.launch(a));
      return;
    }
    const t = this.transport();
    // Reads retried as uploads are (see persistently): an attempt starting as the server restarts still runs.
    const manifestOf = (id: string) => this.persistently('fetching a manifest', () => fetchManifest(t, id));
    const blobOf = (sha: string) => this.persistently('fetching a file', () => fetchBlob(t, sha));
    const runner: AttemptRunner = new AttemptRunner(a, this.options.workDir, {
      servingPortOpened: () => this.heartbeatNow?.(),
      report: async (phase, extra) => {
        if (!finalPhases.has(phase)) {
          // A command's last lines go with the final report (or as chunks on the next poll, if it is slow to come).
          return reports.progress({ attempt: a.attempt, phase, at: new Date().toISOString(), ...extra });
        }
        const logs = await lastLogLines(shippers);
        const report = { attempt: a.attempt, phase, at: new Date().toISOString(), ...extra };
        if (!this.ending.has(a.jobId)) {
          this.ending.set(a.jobId, done);
          this.slotFreed?.();
        }
        if (logs.length > 0) {
          try {
            return await reports.final({ ...report, logs });
          } catch (err) {
            // The server holds less of a log than this agent sent (it lost some): chunks resume where it says, then the report.
            if (!(err instanceof AgentCallError && err.code === 'LogGap')) throw err;
            await Promise.all(shippers.map((s) => s.flush()));
          }
        }
        await reports.final(report);
      },
      fetchFiles: async (codeDir) => {
        if (a.snapshotId) await materializeSnapshot(await manifestOf(a.snapshotId), codeDir, blobOf);
        return materializeInputs(a.inputs, codeDir, {
          workDir: this.options.workDir,
          fetchManifest: manifestOf,
          fetchBlob: blobOf,
          log: (line) => runner.log(line),
        });
      },
      uploadOutputs: async (outputsDir) => {
        const built = await buildSnapshot(outputsDir);
        if (built.manifest.entries.length === 0) return;
        await this.persistently('uploading outputs', () => uploadSnapshot(t, built));
        await this.client.reportOutputs(a.jobId, {
          attempt: a.attempt,
          manifest: built.manifest,
        });
      },
      fetchCheckpoint: async (dir) => {
        if (a.checkpointSnapshotId)
          await materializeSnapshot(await manifestOf(a.checkpointSnapshotId), dir, blobOf);
      },
      uploadCheckpoint: async (dir) => {
        const built = await buildSnapshot(dir);
        if (built.manifest.entries.length === 0) return undefined;
        return (await this.persistently('uploading the checkpoint', () => uploadSnapshot(t, built)))
          .snapshotId;
      },
      environment: {
        workDir: this.options.workDir,
        hostname: hostname(),
        defaultPython: this.capacity.defaultPython,
        containerRuntime: this.capacity.containerRuntime,
        ...(this.nodeGpus ? { gpus: this.nodeGpus } : {}),
        isolate: (file, args, dir) => this.isolate(file, args, dir),
        ...(this.options.pipFindLinks ? { pipFindLinks: this.options.pipFindLinks } : {}),
        ...(this.options.pipIndexUrl ? { pipIndexUrl: this.options.pipIndexUrl } : {}),
      },
      baseEnv: this.env,
      passthrough: (name) => this.passthrough(name),
      ...(this.options.nodeId
        ? { nodeId: this.options.nodeId }
        : this.env.HANGAR_NODE_ID
          ? { nodeId: this.env.HANGAR_NODE_ID }
          : {}),
      spawned: () => this.writePgids(),
      ...(this.nodeGpus ? { gpus: this.nodeGpus } : {}),
      sandbox: this.sandbox,
    });
    const shippers = [
      new LogShipper(this.client, a.jobId, a.attempt, 'user_logs/std_log.txt', runner.stdLog),
      // The agent's own lines are not worth a request every 20 ms (a short job's go out at once at its end).
      new LogShipper(this.client, a.jobId, a.attempt, 'system_logs/agent.txt', runner.systemLog, 100),
      ...runner.processLogs.map(
        (p) => new LogShipper(this.client, a.jobId, a.attempt, p.log, p.relPath, 20, runner.dir),
      ),
    ];
    const reports = new AttemptReports(
      (report) => this.client.reportStatus(a.jobId, report),
      (phase, err) => {
        if (err instanceof AgentCallError && err.status === 401) return this.fatal(err);
        runner.stop({ kind: 'cancel', message: `the server refused the ${phase} report: ${err.message}` });
      },
      passingPhaseHoldMs,
    );
    shippers.forEach((s) => s.start());
    this.runners.set(a.jobId, runner);
    this.log(`job ${a.jobId} attempt ${a.attempt}: started`);
    const done: Promise<void> = runner.run().finally(() => {
      shippers.forEach((s) => s.stop());
      this.runners.delete(a.jobId);
      this.ending.delete(a.jobId);
      this.writePgids();
      this.log(
        `job ${a.jobId} attempt ${a.attempt}: ${runner.exitCode === undefined ? 'ended' : `exit code ${runner.exitCode}`}`,
      );
      this.slotFreed?.();
    });
  }

  /** The operator's allowlist; in a Slurm allocation, its SLURM_* variables describe the node the job runs on. */
  private passthrough(name: string): boolean {
    return (
      (this.options.jobEnv ?? []).includes(name) || (this.options.slurm === true && name.startsWith('SLURM_'))
    );
  }

  /**
   * An environment build step as a job runs: sandboxed, as the job user, writing only `dir`, with
   * a minimal environment (no pip cache in a home it does not have).
   */
  private isolate(
    file: string,
    args: string[],
    dir: string,
  ): { file: string; args: string[]; env: Record<string, string> } {
    const user = this.sandbox.user;
    if (user) chownTree(dir, user.uid, user.gid);
    const passed = Object.fromEntries(
      Object.entries(this.env).filter(
        (e): e is [string, string] => e[1] !== undefined && this.passthrough(e[0]),
      ),
    );
    const env = {
      ...passed,
      PATH: this.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: dir,
      LANG: this.env.LANG ?? 'C.UTF-8',
      PIP_NO_CACHE_DIR: '1',
    };
    return { ...this.sandbox.wrap(file, args, { readWrite: [dir], readOnly: [], cwd: dir }), env };
  }

  /** Process groups of running jobs, so a provider can clean up even after this agent was killed. */
  private writePgids(): void {
    const pgids = [...this.runners.values()].flatMap((r) => (r.pgid === undefined ? [] : [r.pgid]));
    writeFileSync(join(this.options.workDir, 'job-pgids'), pgids.join('\n'));
  }

  /**
   * The allocation is being taken back (Slurm preemption or requeue): the server marks this node
   * preempted, running attempts checkpoint and report Preempted within the short time Slurm
   * leaves (KillWait), and go back to the queue to resume elsewhere.
   */
  async preempted(reason: string, graceMs = 1500): Promise<void> {
    if (this.stopping) return;
    this.log(`preempted: ${reason}`);
    const deadline = new Date(Date.now() + graceMs).toISOString();
    // Before the round trip: attempts whose command ends meanwhile report Preempted.
    for (const r of this.runners.values()) r.preempting({ kind: 'preempt', message: reason, deadline });
    await this.client
      .preempted({ reason }, 1000)
      .catch((err: Error) => this.log(`could not tell the server: ${err.message}`));
    for (const r of this.runners.values())
      r.stop({ kind: 'preempt', message: reason, deadline }, graceMs / 1000);
    const until = Date.now() + graceMs + 500;
    while (this.runners.size > 0 && Date.now() < until) await sleep(50);
    await this.stop(reason);
  }

  /** Stops taking work, stops running attempts (SIGTERM, grace, SIGKILL) and reports them. */
  async stop(reason: string): Promise<void> {
    if (this.stopping) return;
    this.log(`stopping: ${reason}`);
    for (const r of this.runners.values()) r.stop({ kind: 'cancel', message: `node stopping: ${reason}` }, 3);
    const deadline = Date.now() + 10_000;
    while (this.runners.size > 0 && Date.now() < deadline) await sleep(100);
    for (const r of this.runners.values()) if (r.pgid) signalGroup(r.pgid, 'SIGKILL');
    this.stopping = true;
    this.sampler?.stop();
    await this.instance?.stop();
    await this.nodeSsh?.stop();
    this.client.abort();
    this.slotFreed?.();
  }
}
