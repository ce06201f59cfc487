import { isInstance } from '../../domain/compute/compute-record.js';
import { instanceConfigFor } from '../instances/instance-config.js';
import { clusterSshConfigFor } from '../instances/cluster-ssh.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import { terminalStates, unfinishedStates, type JobRecord } from '../../domain/jobs/job-record.js';
import { loseAttempt, reattach } from '../../domain/jobs/job-transitions.js';
import type {
  HeartbeatRequest,
  HeartbeatResponse,
  PreemptedResponse,
  RegisterRequest,
  RegisterResponse,
} from '../../domain/nodes/agent-protocol.js';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import { jobKey } from '../jobs/job-key.js';
import type { ServiceContext } from '../services/service-context.js';
import type { WakeScope } from '../loops/wake-scope.js';
import { updateJob } from '../jobs/job-writes.js';
import { hashToken } from './node-tokens.js';
import { updateNode } from './node-writes.js';
import { preemptNode } from './preemption.js';

/** Jobs a node holds (assigned and not finished). */
export async function jobsOnNode(ctx: ServiceContext, nodeId: string): Promise<JobRecord[]> {
  // A node's finished jobs (thousands, on a long-lived node) are not read.
  return (await ctx.store.jobs.all({ nodeId, statuses: [...unfinishedStates] })).filter(
    (j) => !terminalStates.has(j.status),
  );
}

/** The loops a registration wakes (see register). */
const registrationWakes: WakeScope = { only: ['scheduler', 'instances', 'serving'] };

function unknownNodeToken(): HangarError {
  return new HangarError(
    'Unauthenticated',
    'The node token is unknown or was already used; a node registers once and then uses its session token.',
    'nodeToken',
  );
}

/**
 * A node's session token, derived from its one-time token under the server's key: a retried
 * registration answers the same session without the server keeping it, and neither a store dump
 * (hashes only) nor the node token alone (without the key) yields it.
 */
function sessionTokenFor(ctx: ServiceContext, nodeToken: string): string {
  return ctx.secrets.sign('node-session', nodeToken);
}

/**
 * The server side of registration and heartbeats. A node registers once with its one-time token
 * and gets a session token; heartbeats keep it healthy, re-attach NotResponding jobs it still
 * runs, and carry back what must stop.
 */
export class NodeService {
  constructor(private readonly ctx: ServiceContext) {}

  /**
   * Exchanges the one-time node token for a session token. Retry-safe: an agent whose request timed
   * out after the server committed it asks again with the same token and gets the same node and
   * session (see `retryAnswer`); the token is spent for good once the session has been used.
   */
  async register(req: RegisterRequest): Promise<RegisterResponse> {
    const nodeToken = req.nodeToken ?? '';
    const node = await this.ctx.store.nodes.byTokenHash(hashToken(nodeToken));
    if (!node) throw unknownNodeToken();
    const sessionToken = sessionTokenFor(this.ctx, nodeToken);
    if (node.registeredAt) return this.retryAnswer(node, sessionToken);
    const now = this.ctx.clock.now().toISOString();
    try {
      await this.ctx.store.nodes.update({
        ...node,
        // Kept (a hash) so that a retry finds the node; cleared by the session's first use.
        tokenHash: node.tokenHash,
        sessionTokenHash: hashToken(sessionToken),
        state: node.state === 'preparing' ? 'idle' : node.state,
        capacity: req.capacity,
        hostname: req.hostname,
        address: req.address,
        registeredAt: now,
        lastHeartbeatAt: now,
        idleSince: node.idleSince ?? now,
      });
    } catch (err) {
      // The same registration arriving twice at once: the first write won; this one is a retry.
      if (!(err instanceof HangarError && err.code === 'Conflict')) throw err;
      const again = await this.ctx.store.nodes.byTokenHash(hashToken(nodeToken));
      if (!again?.registeredAt) throw err;
      return this.retryAnswer(again, sessionToken);
    }
    await this.ctx.store.events.append({
      at: now,
      workspace: node.workspace,
      resource: `compute/${node.computeName}`,
      reason: 'NodeRegistered',
      message: `Node ${node.id} registered from ${req.hostname} (pid ${req.pid}, ${req.capacity.cores} cores).`,
      level: 'Info',
    });
    // A new node concerns the scheduler (work for it), an instance's loop (its instance is up) and
    // the serving loop; the others (node pool, pipelines, sweeps) read every active job per pass,
    // and a burst of registrations waking them was most of the server's time (issue 22).
    this.ctx.wake(registrationWakes);
    return this.answer(node.id, sessionToken);
  }

  /**
   * A registration asked again with a token already exchanged. The answer is the one the first
   * request got (the session token is derived from the node token, never stored), and only while
   * that answer may still be in flight: the session has not been used yet (its first use clears
   * the token hash, so such a node is not even found) and the node has not been given up (lost
   * after the not-responding limit and the grace period, leaving, preempted, deleted, or replaced
   * by a node with a token of its own). Trade-off: someone holding a stolen token gets the node's
   * session in that window, as it could have registered in the agent's place before; once the
   * agent has used its session, a spent token buys nothing, as before.
   */
  private retryAnswer(node: NodeRecord, sessionToken: string): RegisterResponse {
    const { nodeNotRespondingAfterMs, nodeLostAfterMs } = this.ctx.config.jobs;
    const since = this.ctx.clock.now().getTime() - new Date(node.registeredAt ?? 0).getTime();
    const kept = node.state === 'idle' || node.state === 'running' || node.state === 'unusable';
    if (
      !kept ||
      since > nodeNotRespondingAfterMs + nodeLostAfterMs ||
      node.sessionTokenHash !== hashToken(sessionToken)
    )
      throw unknownNodeToken();
    return this.answer(node.id, sessionToken);
  }

  private answer(nodeId: string, sessionToken: string): RegisterResponse {
    const jobs = this.ctx.config.jobs;
    return {
      nodeId,
      sessionToken,
      heartbeatIntervalMs: jobs.heartbeatIntervalMs,
      leaseWaitSeconds: jobs.leaseWaitSeconds,
      sampleIntervalSeconds: this.ctx.config.metrics.sampleIntervalSeconds,
    };
  }

  /** The node behind a session token (from `Authorization: Bearer …`); its first use spends the node token. */
  async authenticate(authorization: string | undefined): Promise<NodeRecord> {
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    const node = token ? await this.ctx.store.nodes.bySessionTokenHash(hashToken(token)) : undefined;
    if (!node)
      throw new HangarError(
        'Unauthenticated',
        'Missing or unknown node session token; register the node first.',
        'Authorization',
      );
    if (!node.tokenHash) return node;
    // The agent has its session: a registration retry can no longer be in flight.
    return (
      (await updateNode(this.ctx, node.id, (n) => (n.tokenHash ? { tokenHash: undefined } : undefined))) ??
      node
    );
  }

  /** The backend is taking the node back (Slurm preemption): its jobs checkpoint and resume elsewhere. */
  async preempted(node: NodeRecord, reason: string): Promise<PreemptedResponse> {
    let written = node;
    try {
      written = await preemptNode(this.ctx, node, reason);
    } catch (err) {
      // Already leaving or preempted (Hangar released it itself): nothing more to do.
      if (!(err instanceof HangarError && err.code === 'Conflict')) throw err;
    }
    return { nodeId: written.id, nodeState: written.state };
  }

  /** Delivered attempts the node no longer reports (agent restarted without them) are lost. */
  private async dropForgotten(
    jobs: JobRecord[],
    reported: ReadonlyMap<string, unknown>,
    now: Date,
  ): Promise<void> {
    const patienceMs = 3 * this.ctx.config.jobs.heartbeatIntervalMs;
    for (const job of jobs) {
      if (!job.delivered || reported.has(jobKey(job.workspace, job.name))) continue;
      if (now.getTime() - new Date(job.modifiedAt).getTime() < patienceMs) continue;
      await updateJob(this.ctx, job, (j) =>
        loseAttempt(
          j,
          `node ${j.nodeId ?? '?'} no longer runs the job (its agent restarted or dropped it)`,
          now,
        ),
      );
    }
  }

  /** Records liveness; re-attaches jobs the node still runs; answers what to stop. */
  async heartbeat(node: NodeRecord, req: HeartbeatRequest): Promise<HeartbeatResponse> {
    const now = this.ctx.clock.now();
    const jobs = await jobsOnNode(this.ctx, node.id);
    const reported = new Map(req.running.map((r) => [r.jobId, r]));
    const stop: HeartbeatResponse['stop'] = [];
    const grace = this.ctx.config.jobs.cancelGraceSeconds;
    for (const job of jobs) {
      const attempt = job.attempts[job.attempts.length - 1]?.attempt ?? 0;
      if (job.cancelRequested && reported.has(jobKey(job.workspace, job.name)))
        stop.push({
          jobId: jobKey(job.workspace, job.name),
          attempt,
          reason: 'canceled by user',
          graceSeconds: grace,
        });
      else if (job.preemptRequested && reported.has(jobKey(job.workspace, job.name))) {
        const { reason, deadline } = job.preemptRequested;
        const graceSeconds = Math.max(0, Math.ceil((new Date(deadline).getTime() - now.getTime()) / 1000));
        stop.push({
          jobId: jobKey(job.workspace, job.name),
          attempt,
          reason,
          graceSeconds,
          preempt: { deadline },
        });
      }
      if (reported.has(jobKey(job.workspace, job.name)))
        await updateJob(this.ctx, job, (j) => reattach(j, now));
    }
    await this.dropForgotten(jobs, reported, now);
    // Attempts the node runs that the server no longer wants there (finished, moved, retried).
    const wanted = new Map(
      jobs.map((j) => [jobKey(j.workspace, j.name), j.attempts[j.attempts.length - 1]?.attempt]),
    );
    for (const r of req.running) {
      if (wanted.get(r.jobId) !== r.attempt && r.state !== 'exited')
        stop.push({
          jobId: r.jobId,
          attempt: r.attempt,
          reason: 'the server no longer assigns this attempt to this node',
          graceSeconds: grace,
        });
    }
    const busy = jobs.length > 0 || req.running.length > 0;
    const servingPorts = reportedPorts(req, wanted);
    const written = await updateNode(this.ctx, node.id, (n) => {
      const leaving = n.state === 'leaving' || n.state === 'preempted';
      return {
        state: leaving ? n.state : busy ? 'running' : 'idle',
        idleSince: busy ? undefined : (n.idleSince ?? now.toISOString()),
        lastHeartbeatAt: now.toISOString(),
        reason: leaving ? n.reason : undefined,
        ...(req.instance ? { instance: req.instance } : {}),
        ...(req.ssh ? { ssh: req.ssh } : {}),
        servingPorts,
      };
    });
    // Instance nodes get their instance's wishes; cluster nodes whether (and for whom) to run SSH.
    const compute = await this.ctx.store.computes.getById(node.computeId);
    const instance = compute && isInstance(compute) ? await instanceConfigFor(this.ctx, compute) : undefined;
    const ssh = compute ? await clusterSshConfigFor(this.ctx, compute) : undefined;
    // A preempted node first lets its jobs stop (and checkpoint); it shuts down once none is left.
    return {
      stop,
      shutdown:
        !written ||
        written.state === 'leaving' ||
        (written.state === 'preempted' && jobs.length === 0 && req.running.length === 0),
      ...(instance ? { instance } : {}),
      ...(ssh ? { ssh } : {}),
    };
  }
}

/**
 * The ports the node's deployment replicas listen on, by job key: only attempts the server still
 * assigns to this node and that still run (a stopped replica's port may be anyone's next).
 */
export function reportedPorts(
  req: HeartbeatRequest,
  wanted: ReadonlyMap<string, number | undefined>,
): Record<string, number> | undefined {
  const ports = req.running.flatMap((r) =>
    r.port !== undefined && r.state === 'running' && wanted.get(r.jobId) === r.attempt
      ? [[r.jobId, r.port] as const]
      : [],
  );
  return ports.length > 0 ? Object.fromEntries(ports) : undefined;
}
