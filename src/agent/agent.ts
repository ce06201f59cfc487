import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { HeartbeatResponse, JobAssignment, LeaseResponse, NodeCapacity, RegisterResponse } from '../domain/nodes/agent-protocol.js';
import { version } from '../server/version.js';
import { buildSnapshot } from '../snapshots/snapshot-builder.js';
import { fetchBlob, fetchManifest, uploadSnapshot, type SnapshotTransport } from '../snapshots/snapshot-client.js';
import { materializeSnapshot } from '../snapshots/snapshot-materializer.js';
import { AgentCallError, AgentClient } from './agent-client.js';
import type { AgentOptions } from './agent-options.js';
import { AttemptRunner, signalGroup } from './attempt-runner.js';
import { detectCapacity, which } from './capacity.js';
import { createSandbox, type Sandbox } from './sandbox.js';
import { LogShipper } from './log-shipper.js';
import { InstanceRuntime } from './instance/instance-runtime.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * `hangar agent`: connects out to the server, registers once, heartbeats, leases job attempts,
 * runs them, ships their logs. The same program for every provider.
 */
export class Agent {
  private readonly client: AgentClient;
  private readonly runners = new Map<string, AttemptRunner>();
  private capacity!: NodeCapacity;
  private session!: RegisterResponse;
  private stopping = false;
  private slotFreed: (() => void) | undefined;
  private instance: InstanceRuntime | undefined;
  private sandbox!: Sandbox;

  constructor(
    private readonly options: AgentOptions,
    private readonly env: Record<string, string | undefined>,
    private readonly log: (line: string) => void = (l) => process.stdout.write(`${new Date().toISOString()} ${l}\n`),
  ) {
    this.client = new AgentClient(options.server.replace(/\/$/, ''), () => this.stopping, log);
  }

  private get sessionFile(): string {
    return join(this.options.workDir, 'session.json');
  }

  /** Registers (or reuses the saved session) and starts the heartbeat and lease loops. */
  async start(): Promise<void> {
    mkdirSync(this.options.workDir, { recursive: true });
    this.capacity = detectCapacity(this.env.PATH, this.options.python);
    this.sandbox = createSandbox(this.options.protect ?? [], which('bwrap', this.env.PATH));
    this.capacity.sandbox = this.sandbox.kind;
    const saved = existsSync(this.sessionFile) ? (JSON.parse(readFileSync(this.sessionFile, 'utf8')) as RegisterResponse) : undefined;
    if (saved) this.session = saved;
    else {
      this.session = await this.client.call<RegisterResponse>('POST', '/api/agent/register', {
        nodeToken: this.options.token, hostname: hostname(), pid: process.pid, agentVersion: version, capacity: this.capacity, address: hostname(),
      });
      writeFileSync(this.sessionFile, JSON.stringify(this.session), { mode: 0o600 });
    }
    this.client.sessionToken = this.session.sessionToken;
    if (this.options.instance) {
      this.instance = new InstanceRuntime({ instanceDir: this.options.instance.dir, jupyterCommand: this.options.instance.jupyterCommand, containerRuntime: this.capacity.containerRuntime, baseEnv: this.env, log: this.log });
    }
    this.log(`registered as node ${this.session.nodeId} (${this.capacity.cores} cores, python ${this.capacity.defaultPython}, ${this.slots} slot(s))`);
    void this.heartbeatLoop();
    void this.leaseLoop();
  }

  private get slots(): number {
    return this.options.slots ?? this.capacity.cores;
  }

  private async heartbeatLoop(): Promise<void> {
    while (!this.stopping) {
      try {
        const running = [...this.runners.values()].map((r) => ({ jobId: r.assignment.jobId, attempt: r.assignment.attempt, state: r.state, ...(r.exitCode === undefined ? {} : { exitCode: r.exitCode }) }));
        const instance = this.instance ? await this.instance.report() : undefined;
        const answer = await this.client.call<HeartbeatResponse>('POST', '/api/agent/heartbeat', { running, ...(instance ? { instance } : {}) });
        if (answer.instance && this.instance) await this.instance.apply(answer.instance).catch((err: Error) => this.log(`instance: ${err.message}`));
        for (const s of answer.stop) this.runners.get(s.jobId)?.stop(s.preempt ? { kind: 'preempt', message: s.reason, deadline: s.preempt.deadline } : { kind: 'cancel', message: s.reason }, s.graceSeconds);
        if (answer.shutdown) await this.stop('the server released this node');
      } catch (err) {
        if (err instanceof AgentCallError && err.status === 401) return this.fatal(err);
      }
      await sleep(this.session.heartbeatIntervalMs);
    }
  }

  private async leaseLoop(): Promise<void> {
    while (!this.stopping) {
      const free = this.slots - this.runners.size;
      if (free <= 0) {
        await new Promise<void>((r) => (this.slotFreed = r));
        continue;
      }
      try {
        const lease = await this.client.call<LeaseResponse>('POST', '/api/agent/lease', { freeSlots: free }, (this.session.leaseWaitSeconds + 15) * 1000);
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

  private transport(): SnapshotTransport {
    return { url: this.client.server, headers: { authorization: `Bearer ${this.session.sessionToken}` } };
  }

  private launch(a: JobAssignment): void {
    if (this.runners.has(a.jobId)) return;
    const t = this.transport();
    const runner: AttemptRunner = new AttemptRunner(a, this.options.workDir, {
      report: async (phase, extra) => {
        if (phase === 'Completed' || phase === 'Failed' || phase === 'Canceled' || phase === 'Preempted') await Promise.all(shippers.map((s) => s.flush()));
        await this.client.call('POST', `/api/agent/jobs/${a.jobId}/status`, { attempt: a.attempt, phase, at: new Date().toISOString(), ...extra });
      },
      fetchFiles: async (codeDir) => {
        if (a.snapshotId) await materializeSnapshot(await fetchManifest(t, a.snapshotId), codeDir, (sha) => fetchBlob(t, sha));
        for (const input of a.inputs) await materializeSnapshot(await fetchManifest(t, input.snapshotId), join(codeDir, input.path.endsWith('/') ? input.path : dirname(input.path) === 'inputs' ? input.path : dirname(input.path)), (sha) => fetchBlob(t, sha));
      },
      uploadOutputs: async (outputsDir) => {
        const built = await buildSnapshot(outputsDir);
        if (built.manifest.entries.length === 0) return;
        await uploadSnapshot(t, built);
        await this.client.call('POST', `/api/agent/jobs/${a.jobId}/outputs`, { attempt: a.attempt, manifest: built.manifest });
      },
      fetchCheckpoint: async (dir) => {
        if (a.checkpointSnapshotId) await materializeSnapshot(await fetchManifest(t, a.checkpointSnapshotId), dir, (sha) => fetchBlob(t, sha));
      },
      uploadCheckpoint: async (dir) => {
        const built = await buildSnapshot(dir);
        return built.manifest.entries.length === 0 ? undefined : (await uploadSnapshot(t, built)).snapshotId;
      },
      environment: { workDir: this.options.workDir, hostname: hostname(), defaultPython: this.capacity.defaultPython, containerRuntime: this.capacity.containerRuntime, ...(this.options.pipFindLinks ? { pipFindLinks: this.options.pipFindLinks } : {}), ...(this.options.pipIndexUrl ? { pipIndexUrl: this.options.pipIndexUrl } : {}) },
      baseEnv: this.env,
      spawned: () => this.writePgids(),
      sandbox: this.sandbox,
    });
    const shippers = [new LogShipper(this.client, a.jobId, a.attempt, 'user_logs/std_log.txt', runner.stdLog), new LogShipper(this.client, a.jobId, a.attempt, 'system_logs/agent.txt', runner.systemLog)];
    shippers.forEach((s) => s.start());
    this.runners.set(a.jobId, runner);
    this.log(`job ${a.jobId} attempt ${a.attempt}: started`);
    void runner.run().finally(() => {
      shippers.forEach((s) => s.stop());
      this.runners.delete(a.jobId);
      this.writePgids();
      this.log(`job ${a.jobId} attempt ${a.attempt}: ${runner.exitCode === undefined ? 'ended' : `exit code ${runner.exitCode}`}`);
      this.slotFreed?.();
    });
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
    await this.client.call('POST', '/api/agent/preempted', { reason }, 1000).catch((err: Error) => this.log(`could not tell the server: ${err.message}`));
    const deadline = new Date(Date.now() + graceMs).toISOString();
    for (const r of this.runners.values()) r.stop({ kind: 'preempt', message: reason, deadline }, graceMs / 1000);
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
    await this.instance?.stop();
    this.client.abort();
    this.slotFreed?.();
  }
}
