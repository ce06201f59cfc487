import { defaultIdentity, identitiesOf } from '../../domain/access/managed-identity.js';
import { AccessService } from '../access/access-service.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import { rankJobName, type JobRecord } from '../../domain/jobs/job-record.js';
import { distributionOf, launcherScript, planNode, type NodePlan } from '../../domain/jobs/process-plan.js';
import { applyAttemptReport, fencedAttemptStopped } from '../../domain/jobs/job-transitions.js';
import type {
  AttemptStatusReport,
  JobAssignment,
  LeaseRequest,
  LeaseResponse,
  LogChunk,
  LogChunkAck,
  OutputsReport,
} from '../../domain/nodes/agent-protocol.js';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import { jobKey, parseJobKey } from '../jobs/job-key.js';
import { updateJob } from '../jobs/job-writes.js';
import { isLogFile, logFileRule } from '../jobs/log-store.js';
import type { ServiceContext } from '../services/service-context.js';
import type { SnapshotService } from '../snapshots/snapshot-service.js';
import type { AssetResolution } from '../assets/asset-resolution.js';
import { registerJobOutputs } from '../jobs/output-registration.js';
import { tlsInfo } from '../tls/tls-info.js';
import { azuremlEnv } from '../tls/sdk-env.js';
import { jobsOnNode } from './node-service.js';
import { updateNode } from './node-writes.js';

function toAssignment(
  job: JobRecord,
  graceSeconds: number,
  gangEnv: Record<string, string> = {},
  plan?: NodePlan,
): JobAssignment {
  const attempt = job.attempts[job.attempts.length - 1]?.attempt ?? 1;
  // A distributed job's node runs a launcher of its ranked processes, the user's command in a variable.
  const assignment: JobAssignment = {
    jobId: jobKey(job.workspace, job.name),
    attempt,
    command: plan ? launcherScript(plan.processes) : job.run.command,
    inputs: job.run.inputs,
    environment: job.run.environment,
    env: {
      ...job.run.env,
      ...gangEnv,
      ...(plan ? { HANGAR_USER_COMMAND: job.run.command } : {}),
      HANGAR_ATTEMPT: String(attempt),
    },
    graceSeconds,
  };
  if (plan) assignment.processes = plan.processes.map((p) => ({ rank: p.rank, log: p.log }));
  if (job.run.snapshotId) assignment.snapshotId = job.run.snapshotId;
  if (job.run.outputDirs?.length) assignment.outputDirs = job.run.outputDirs;
  if (job.run.timeoutSeconds) assignment.timeoutSeconds = job.run.timeoutSeconds;
  if (job.checkpointSnapshotId) assignment.checkpointSnapshotId = job.checkpointSnapshotId;
  if (job.run.servingPortFile) assignment.servingPortFile = job.run.servingPortFile;
  return assignment;
}

/**
 * Where a deployment replica listens: a node on this host on loopback (the router is here); a node
 * elsewhere on every interface, since the server reaches it at the address it registered with.
 */
function servingHostEnv(job: JobRecord, node: NodeRecord): Record<string, string> {
  if (!job.run.servingPortFile) return {};
  return { HANGAR_SERVING_HOST: node.provider === 'local' ? '127.0.0.1' : '0.0.0.0' };
}

/**
 * How often a waiting lease looks in the store without a signal (ms): a safety net for a signal
 * lost between replicas. Five seconds was tried: at 10,000 simulated nodes registration then took
 * 67–141 s instead of 34–36 s, for reasons not found; a second it stays.
 */
const leaseRecheckMs = 1000;

/** Leases, phase reports, log chunks and outputs from agents. */
export class AgentWorkService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly snapshots: SnapshotService,
    /** The asset layer: outputs with a name are registered through it when their job completes. */
    private readonly assets?: AssetResolution,
  ) {}

  /**
   * Long poll: hands out attempts assigned to the node and not yet delivered. It listens for the
   * node's work signal before each look in the store, so an assignment made meanwhile still wakes
   * it; the store is looked at again every leaseRecheckMs all the same (a signal lost between
   * replicas, or a multi-node job whose ranks are still being placed).
   */
  async lease(node: NodeRecord, req: LeaseRequest, signal?: AbortSignal): Promise<LeaseResponse> {
    const deadline = this.ctx.clock.now().getTime() + this.ctx.config.jobs.leaseWaitSeconds * 1000;
    for (;;) {
      const work = this.ctx.signals.watchNodeWork(node.id);
      try {
        const assignments = await this.deliver(node, Math.max(0, req.freeSlots));
        const left = deadline - this.ctx.clock.now().getTime();
        if (assignments.length > 0 || left <= 0 || signal?.aborted || req.freeSlots <= 0)
          return { assignments };
        await work.wait(Math.min(left, leaseRecheckMs), signal);
      } finally {
        work.stop();
      }
    }
  }

  /**
   * The attempt's credentials: a run token for MLflow (its own run only), and the managed-identity
   * endpoint (MSI_ENDPOINT/MSI_SECRET, IDENTITY_ENDPOINT/IDENTITY_HEADER) when its compute has one.
   */
  private async credentialEnv(job: JobRecord): Promise<Record<string, string>> {
    const attempt = job.attempts[job.attempts.length - 1]?.attempt ?? 1;
    const token = new AccessService(this.ctx).jobToken(
      job.workspace,
      job.name,
      attempt,
      job.gang?.parent ?? job.name,
    );
    const endpoint = `${this.ctx.publicUrl()}/api/identity/token`;
    const env: Record<string, string> = {
      MLFLOW_TRACKING_TOKEN: token,
      MSI_ENDPOINT: endpoint,
      MSI_SECRET: token,
      IDENTITY_ENDPOINT: endpoint,
      IDENTITY_HEADER: token,
    };
    const compute = await this.ctx.store.computes.get(job.workspace, job.computeName);
    const identity = compute ? defaultIdentity(identitiesOf(compute)) : undefined;
    if (identity) env.DEFAULT_IDENTITY_CLIENT_ID = identity.clientId;
    return env;
  }

  private async deliver(node: NodeRecord, max: number): Promise<JobAssignment[]> {
    if (node.state === 'preempted' || node.state === 'leaving') return [];
    const pending = (await jobsOnNode(this.ctx, node.id))
      .filter((j) => !j.delivered && !j.cancelRequested)
      .slice(0, max);
    const out: JobAssignment[] = [];
    // Where jobs reach the HTTPS listener (the host agents use) and its CA; read once per delivery.
    const tls = pending.length > 0 ? tlsInfo(this.ctx.config.home, this.ctx.publicUrl()) : undefined;
    for (const job of pending) {
      const planned = await this.planFor(job, node);
      if (!planned) continue; // its siblings are still being placed: next time
      const written = await updateJob(this.ctx, job, (j) =>
        j.delivered || j.nodeId !== node.id
          ? undefined
          : {
              ...j,
              delivered: true,
              reason: `starting on node ${node.id}`,
              modifiedAt: this.ctx.clock.now().toISOString(),
            },
      );
      if (!written.delivered || written.nodeId !== node.id) continue;
      const assignment = toAssignment(
        written,
        this.ctx.config.jobs.cancelGraceSeconds,
        {
          ...planned.plan?.env,
          ...azuremlEnv(written, tls),
          ...(await this.credentialEnv(written)),
          ...servingHostEnv(written, node),
        },
        planned.plan,
      );
      if (tls) assignment.caPem = tls.caPem;
      out.push(assignment);
    }
    return out;
  }

  /**
   * A distributed job's processes on this node, from where its nodes were placed (a rank waits,
   * undefined, until all are); `plan` is absent for a job without distribution.
   */
  private async planFor(job: JobRecord, node: NodeRecord): Promise<{ plan?: NodePlan } | undefined> {
    const gang = job.gang;
    const hostOf = (n: NodeRecord): string => n.address ?? n.hostname ?? n.id;
    if (!gang?.parent) {
      const plan = planNode(distributionOf(job), job.name, 0, [hostOf(node)]);
      return plan ? { plan } : {};
    }
    const hosts: string[] = [];
    for (let i = 0; i < gang.size; i++) {
      const sibling =
        i === gang.rank ? job : await this.ctx.store.jobs.get(job.workspace, rankJobName(gang.parent, i));
      const placed = sibling?.nodeId ? await this.ctx.store.nodes.get(sibling.nodeId) : undefined;
      if (!placed) return undefined;
      hosts.push(hostOf(placed));
    }
    const plan = planNode(gang.distribution, gang.parent, gang.rank ?? 0, hosts);
    return plan ? { plan } : {};
  }

  private async ownJob(node: NodeRecord, id: string): Promise<JobRecord> {
    const { workspace, name } = parseJobKey(id);
    const job = await this.ctx.store.jobs.get(workspace, name);
    if (!job)
      throw new HangarError('NotFound', `Job '${name}' does not exist in workspace '${workspace}'.`, 'jobId');
    const attemptNode = job.attempts.map((a) => a.nodeId);
    if (!attemptNode.includes(node.id))
      throw new HangarError('Conflict', `Job '${name}' was never assigned to node ${node.id}.`, 'jobId');
    return job;
  }

  /** A phase change of an attempt; stale reports are acknowledged and ignored. */
  async reportStatus(node: NodeRecord, id: string, report: AttemptStatusReport): Promise<{ status: string }> {
    const job = await this.ownJob(node, id);
    // The end of its logs, carried by a final report: stored first, so a stream that ends with the job has every line.
    for (const [index, carried] of (report.logs ?? []).entries())
      this.storeLog(id, { attempt: report.attempt, ...carried }, `logs.${index}.`);
    const now = this.ctx.clock.now();
    // An attempt a released node's agent stopped (it acknowledged the kill) ends as lost, to be retried elsewhere.
    const fenced =
      node.state === 'leaving' &&
      (report.phase === 'Canceled' || report.phase === 'Failed') &&
      !job.cancelRequested;
    const why = `node ${node.id} was released (${node.reason ?? 'leaving'}); its agent stopped the attempt`;
    const written = await updateJob(this.ctx, job, (j) =>
      fenced ? fencedAttemptStopped(j, report, why, now) : applyAttemptReport(j, report, now),
    );
    // The node is idle from the moment its last job ends, not from its next heartbeat: scale-down keeps time.
    if (written.nodeId !== node.id && (await jobsOnNode(this.ctx, node.id)).length === 0) {
      await updateNode(this.ctx, node.id, (n) =>
        n.state === 'running' ? { state: 'idle', idleSince: now.toISOString() } : undefined,
      );
    }
    // And running from the moment its job runs, not from its next heartbeat: the node view agrees with the job.
    if (written.nodeId === node.id && written.status === 'Running') {
      await updateNode(this.ctx, node.id, (n) =>
        n.state === 'idle' ? { state: 'running', idleSince: undefined } : undefined,
      );
    }
    // On every Completed report (an agent repeats it after a lost answer): registration is idempotent.
    if (written.status === 'Completed')
      await registerJobOutputs(this.ctx, this.snapshots, this.assets, written);
    return { status: written.status };
  }

  /** Stores a log chunk exactly once (offsets make retries safe). */
  async appendLog(node: NodeRecord, id: string, chunk: LogChunk): Promise<LogChunkAck> {
    await this.ownJob(node, id);
    return { length: this.storeLog(id, chunk) };
  }

  /** Stores a chunk (its fields named under `target` in errors); answers the length now held. */
  private storeLog(id: string, chunk: LogChunk, target = ''): number {
    if (!isLogFile(chunk.file))
      throw new HangarError(
        'ValidationFailed',
        `Log file must be ${logFileRule}; got '${chunk.file}'.`,
        `${target}file`,
      );
    if (!Number.isInteger(chunk.offset) || chunk.offset < 0)
      throw new HangarError(
        'ValidationFailed',
        `Log offset must be a non-negative integer; got ${chunk.offset}.`,
        `${target}offset`,
      );
    try {
      return this.ctx.logs.append(
        id,
        chunk.attempt,
        chunk.file,
        chunk.offset,
        Buffer.from(chunk.data, 'base64'),
      );
    } catch (err) {
      if (target && err instanceof HangarError && err.code === 'LogGap')
        throw new HangarError('LogGap', err.message, `${target}offset`, err.details);
      throw err;
    }
  }

  /** Bytes held for a log file (where a restarted shipper resumes). */
  async logLength(node: NodeRecord, id: string, attempt: number, file: string): Promise<LogChunkAck> {
    await this.ownJob(node, id);
    return { length: this.ctx.logs.length(id, attempt, file) };
  }

  /** The manifest of the attempt's ./outputs, whose blobs the agent uploaded. */
  async reportOutputs(node: NodeRecord, id: string, report: OutputsReport): Promise<{ snapshotId: string }> {
    const job = await this.ownJob(node, id);
    const { id: snapshotId } = await this.snapshots.putManifest(report.manifest);
    await updateJob(this.ctx, job, (j) =>
      j.outputsSnapshotId === snapshotId
        ? undefined
        : { ...j, outputsSnapshotId: snapshotId, modifiedAt: this.ctx.clock.now().toISOString() },
    );
    return { snapshotId };
  }
}
