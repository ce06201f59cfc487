import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  deploymentOfReplicaParent,
  replicaParent,
  type DeploymentGeneration,
  type DeploymentRecord,
} from '../../domain/endpoints/endpoint-record.js';
import { queuePriority, terminalStates, type JobRecord } from '../../domain/jobs/job-record.js';
import { requestCancel } from '../../domain/jobs/job-transitions.js';
import type { JobInputDelivery } from '../../domain/nodes/agent-protocol.js';
import { nodeHost } from '../../domain/nodes/node-record.js';
import { shellQuote } from '../../domain/shell.js';
import { subManifest } from '../../domain/snapshots/sub-manifest.js';
import type { ReplicaProcess } from '../../providers/local/local-replicas.js';
import { jobKey } from '../jobs/job-key.js';
import { updateJob } from '../jobs/job-writes.js';
import type { ServiceContext } from '../services/service-context.js';
import type { SnapshotService } from '../snapshots/snapshot-service.js';

/** Where, in a replica job's code folder, its scoring host writes its port (the agent reports it). */
export const servingPortFile = '.hangar-serving-port';
/** Where the model is placed in a replica job's folder: AZUREML_MODEL_DIR. */
const modelFolder = 'azureml-models';
/** Tag naming the deployment (`endpoint/deployment`) and the generation a replica job serves. */
export const replicaTags = {
  of: 'hangar.replicaOf',
  generation: 'hangar.replicaGeneration',
  /** Which server's serving loop looks after it (every server runs its own replicas; see docs/endpoints.md). */
  servedBy: 'hangar.servedBy',
} as const;

/** A replica that is a job on a node of the deployment's compute; its state comes from the job and node records. */
class NodeReplica implements ReplicaProcess {
  readonly pid = undefined;
  private job: JobRecord;
  private where: { host: string; port: number } | undefined;
  private stopped = false;

  constructor(
    private readonly host_: NodeReplicaHost,
    job: JobRecord,
  ) {
    this.job = job;
  }

  get id(): string {
    return this.job.name;
  }

  get name(): string {
    return this.job.name;
  }

  get workspace(): string {
    return this.job.workspace;
  }

  get logPath(): string {
    const attempt = this.job.attempts[this.job.attempts.length - 1]?.attempt ?? 1;
    return join(
      this.host_.logRoot,
      jobKey(this.job.workspace, this.job.name),
      String(attempt),
      'user_logs',
      'std_log.txt',
    );
  }

  /** Takes the job and its node's report as the store has them now. */
  refresh(job: JobRecord, where: { host: string; port: number } | undefined): void {
    this.job = job;
    this.where = job.status === 'Running' ? where : undefined;
  }

  port(): number | undefined {
    return this.exitCode() === undefined ? this.where?.port : undefined;
  }

  host(): string {
    return this.where?.host ?? '127.0.0.1';
  }

  /** Why it cannot be probed yet: its job waits for a node, or prepares its files and environment. */
  waiting(): string | undefined {
    const j = this.job;
    if (j.status === 'Running' || terminalStates.has(j.status)) return undefined;
    return `replica job ${j.name} is ${j.status}${j.reason ? `: ${j.reason}` : ''}`;
  }

  exitCode(): number | undefined {
    const j = this.job;
    if (!terminalStates.has(j.status)) return undefined;
    if (j.status === 'Canceled') return -1;
    const attempt = j.attempts[j.attempts.length - 1];
    return j.exitCode ?? attempt?.exitCode ?? (j.status === 'Completed' ? 0 : 1);
  }

  /** Why its job ended, when it ended without the scoring host's exit code (an environment that did not build). */
  endReason(): string | undefined {
    return this.job.error?.message;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.host_.cancel(this.job);
  }
}

/**
 * Replicas of Kubernetes deployments: each replica is a job on the deployment's compute (an
 * inference cluster, or any compute that runs jobs), so nodes come from that compute's provider
 * and scale with its demand, and each node's agent materializes the code and model, prepares the
 * environment and runs Hangar's scoring host in its sandbox. The scoring host writes its port, the
 * agent reports it with its heartbeat, and the router reaches the replica at the node's address.
 */
export class NodeReplicaHost {
  private readonly replicas = new Map<string, NodeReplica>();
  /** This server, as its replica jobs' tag names it: a hash of its home folder, stable across restarts. */
  private readonly servedBy: string;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly snapshots: SnapshotService,
    readonly logRoot: string,
  ) {
    this.servedBy = createHash('sha256').update(ctx.config.home).digest('hex').slice(0, 16);
  }

  /** Replica jobs this server started (before a restart too). */
  private ours(j: JobRecord): boolean {
    return (j.spec.tags as Record<string, string> | undefined)?.[replicaTags.servedBy] === this.servedBy;
  }

  /** Submits replica `index` of a generation as a job on the deployment's compute. */
  async start(d: DeploymentRecord, g: DeploymentGeneration, index: number): Promise<NodeReplica> {
    const pool = g.resolved.pool;
    if (!pool) throw new Error(`deployment ${d.name}: generation ${g.number} has no compute`);
    const name = `${d.endpoint}-${d.name}-g${g.number}-${index}-${randomBytes(3).toString('hex')}`;
    const spec = g.spec;
    const now = this.ctx.clock.now().toISOString();
    const code = await this.snapshotOf(g.resolved.code);
    const inputs: JobInputDelivery[] = [];
    if (g.resolved.model)
      inputs.push({
        name: 'model',
        path: modelFolder,
        snapshotId: await this.snapshotOf(g.resolved.model),
        mode: 'ro_mount',
      });
    const env = pool.environment;
    const python = env.kind === 'user-managed' ? (env.python ?? 'python3') : 'python3';
    const script = (spec.code_configuration?.scoring_script ?? 'score.py').replace(/^\.\//, '');
    const command = [
      shellQuote(python),
      '-m hangar_scoring_host --entry-script',
      shellQuote(script),
      ...(g.resolved.model ? [`--model-dir "$PWD/${modelFolder}"`] : []),
      `--host "\${HANGAR_SERVING_HOST:-127.0.0.1}" --port 0 --port-file ${servingPortFile}`,
    ].join(' ');
    const job: JobRecord = {
      name,
      workspace: d.workspace,
      spec: {
        type: 'command',
        name,
        display_name: `${d.endpoint}/${d.name} replica ${index} (generation ${g.number})`,
        compute: `azureml:${pool.compute}`,
        command,
        tags: {
          [replicaTags.of]: `${d.endpoint}/${d.name}`,
          [replicaTags.generation]: String(g.number),
          [replicaTags.servedBy]: this.servedBy,
        },
      },
      run: {
        command,
        environment: env,
        environmentName: g.resolved.environment,
        env: {
          ...spec.environment_variables,
          WORKER_COUNT: String(spec.request_settings.max_concurrent_requests_per_instance),
          HANGAR_JOB_NAME: name,
          HANGAR_WORKSPACE: d.workspace,
        },
        snapshotId: code,
        inputs,
        instanceCount: 1,
        maxAttempts: 1,
        servingPortFile,
      },
      computeName: pool.compute,
      experimentName: 'online-deployments',
      displayName: `${d.endpoint}/${d.name} replica ${index} (generation ${g.number})`,
      status: 'Queued',
      reason: 'waiting for the scheduler',
      // Serving comes before training on a shared compute.
      priority: queuePriority.high,
      queueSeq: await this.ctx.store.jobs.nextQueueSeq(),
      attempts: [],
      delivered: false,
      cancelRequested: false,
      parentJobName: replicaParent(d),
      createdAt: now,
      modifiedAt: now,
      version: 1,
    };
    await this.ctx.store.jobs.insert(job);
    this.ctx.wake();
    return this.track(job);
  }

  private track(job: JobRecord): NodeReplica {
    const replica = new NodeReplica(this, job);
    this.replicas.set(job.name, replica);
    return replica;
  }

  /** The deployment's replica jobs still running (a server restarted: they are taken back, not started again). */
  async adopt(d: DeploymentRecord): Promise<{ replica: NodeReplica; generation: number }[]> {
    const parent = replicaParent(d);
    const jobs = (await this.ctx.store.jobs.all({ workspace: d.workspace, family: true })).filter(
      (j) =>
        j.parentJobName === parent && this.ours(j) && !terminalStates.has(j.status) && !j.cancelRequested,
    );
    return jobs.map((j) => ({
      replica: this.replicas.get(j.name) ?? this.track(j),
      generation: Number((j.spec.tags as Record<string, string> | undefined)?.[replicaTags.generation] ?? 0),
    }));
  }

  /** Cancels replica jobs whose deployment is gone (deleted while no server ran). */
  async cancelOrphans(deploymentIds: ReadonlySet<string>): Promise<void> {
    for (const j of await this.ctx.store.jobs.all({ family: true })) {
      const id = j.parentJobName ? deploymentOfReplicaParent(j.parentJobName) : undefined;
      const tags = j.spec.tags as Record<string, string> | undefined;
      if (
        id &&
        tags?.[replicaTags.of] &&
        this.ours(j) &&
        !deploymentIds.has(id) &&
        !terminalStates.has(j.status)
      )
        await this.cancel(j);
    }
  }

  /** Reads each replica's job and its node's report once per pass. */
  async refresh(replicas: readonly ReplicaProcess[]): Promise<void> {
    for (const r of replicas) {
      if (!(r instanceof NodeReplica)) continue;
      const job = await this.ctx.store.jobs.get(r.workspace, r.name);
      if (!job) continue;
      const node = job.nodeId ? await this.ctx.store.nodes.get(job.nodeId) : undefined;
      const port = node?.servingPorts?.[jobKey(job.workspace, job.name)];
      r.refresh(
        job,
        node && port !== undefined && this.allowed(port) ? { host: nodeHost(node), port } : undefined,
      );
    }
  }

  /** A replica job chooses the port it reports: never the server's own (the port it listens on, not the configured 0). */
  private allowed(port: number): boolean {
    const url = new URL(this.ctx.publicUrl());
    const own = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    return port !== own && port !== this.ctx.config.port;
  }

  /** Cancels a replica's job (the node stops the scoring host). */
  async cancel(job: JobRecord): Promise<void> {
    this.replicas.delete(job.name);
    const current = await this.ctx.store.jobs.get(job.workspace, job.name);
    if (!current) return;
    const written = await updateJob(this.ctx, current, (j) => requestCancel(j, this.ctx.clock.now()));
    if (written.nodeId) this.ctx.signals.nodeWork(written.nodeId);
  }

  /** A snapshot holding exactly the deployment's folder (its own snapshot when it is the whole of one). */
  private async snapshotOf(ref: { snapshotId: string; subPath: string }): Promise<string> {
    if (ref.subPath === '') return ref.snapshotId;
    const part = subManifest(await this.snapshots.getManifest(ref.snapshotId), ref.subPath);
    return (await this.snapshots.putManifest(part ?? { version: 1, entries: [] })).id;
  }
}
