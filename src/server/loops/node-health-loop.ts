import { terminalStates } from '../../domain/jobs/job-record.js';
import {
  markNotResponding,
  preemptAttempt,
  settleReleasedAttempt,
} from '../../domain/jobs/job-transitions.js';
import { nodeHealth, type NodeRecord } from '../../domain/nodes/node-record.js';
import type { Provider } from '../../providers/provider.js';
import { updateJob } from '../jobs/job-writes.js';
import { updateNode } from '../nodes/node-writes.js';
import type { LoopDefinition } from './loop-runner.js';
import type { ServiceContext } from '../services/service-context.js';
import { releaseNode } from '../nodes/release-node.js';

/** A node that never registered within this time is given up (its agent failed to start). */
const registerDeadlineMs = 120_000;

/** How often a node that could not be stopped is tried again (a backend may be slow to answer). */
const fencingRetryMs = 5_000;

async function markUnusable(ctx: ServiceContext, node: NodeRecord, now: Date): Promise<void> {
  const silentS = Math.round(
    (now.getTime() - new Date(node.lastHeartbeatAt ?? node.createdAt).getTime()) / 1000,
  );
  const reason = `node ${node.id} stopped heartbeating ${silentS} s ago (last at ${node.lastHeartbeatAt ?? '?'}); the job may still be running and is re-attached when the node returns`;
  await updateNode(ctx, node.id, (n) =>
    n.state === 'unusable' || n.state === 'leaving' ? undefined : { state: 'unusable', reason },
  );
  for (const job of (await ctx.store.jobs.all({ nodeId: node.id })).filter(
    (j) => j.delivered && !terminalStates.has(j.status),
  )) {
    await updateJob(ctx, job, (j) => markNotResponding(j, reason, now));
  }
}

async function markLost(ctx: ServiceContext, provider: Provider, node: NodeRecord): Promise<void> {
  const { nodeNotRespondingAfterMs, nodeLostAfterMs } = ctx.config.jobs;
  const reason = `node ${node.id} was lost: no heartbeat since ${node.lastHeartbeatAt ?? '?'} (not responding after ${nodeNotRespondingAfterMs / 1000} s, then a grace period of ${nodeLostAfterMs / 1000} s)`;
  // A preempted node that vanishes took its jobs with it: they resume, not count as failures.
  const preempted = node.state === 'preempted';
  // The node is fenced (stopped by its provider) before any of its attempts is retried elsewhere.
  await releaseNode(ctx, provider, node, reason, (job, at) =>
    preempted ? preemptAttempt(job, reason, at) : settleReleasedAttempt(job, reason, at),
  );
}

/** Released nodes whose backend could not stop them keep their attempts; try to fence them again, now and then. */
async function retryFencing(
  ctx: ServiceContext,
  providerNamed: (name: string) => Provider,
  node: NodeRecord,
  lastTry: Map<string, number>,
): Promise<void> {
  const mono = ctx.clock.elapsedMs();
  if (mono - (lastTry.get(node.id) ?? -Infinity) < fencingRetryMs) return;
  const held = (await ctx.store.jobs.all({ nodeId: node.id })).some((j) => !terminalStates.has(j.status));
  if (!held) return;
  lastTry.set(node.id, mono);
  await releaseNode(ctx, providerNamed(node.provider), node, node.reason ?? 'lost');
}

/** What a health pass sees: every node, and how long (monotonic) this server has heard nothing from each. */
export interface HealthSnapshot {
  nodes: NodeRecord[];
  silentMs: (id: string) => number;
}

/**
 * The health loop, one key per node: silent nodes become unusable and their jobs NotResponding
 * (never failed while they may still run); after the grace period they are lost and their jobs
 * retried or failed with the reason. Nodes that never register are given up. Nodes that could not
 * be fenced (still `leaving` with attempts) are tried again now and then.
 */
export function nodeHealthLoop(
  ctx: ServiceContext,
  providerNamed: (name: string) => Provider,
  serverStartedAt: Date,
): LoopDefinition<HealthSnapshot, NodeRecord> {
  // Silence is measured on the monotonic clock from when this server saw each heartbeat change, so
  // a wall-clock jump (NTP, a shifted test clock) never makes healthy nodes look silent. Both maps
  // are this loop's (this server's) own.
  const seen = new Map<string, { beat: string; atMs: number }>();
  const fencingTried = new Map<string, number>();
  return {
    name: 'node-health',
    intervalMs: ctx.config.reconcileIntervalMs,
    async read() {
      const nodes = await ctx.store.nodes.all({});
      const mono = ctx.clock.elapsedMs();
      for (const node of nodes) {
        const beat = node.lastHeartbeatAt ?? node.registeredAt ?? '';
        if (seen.get(node.id)?.beat !== beat) seen.set(node.id, { beat, atMs: mono });
      }
      const ids = new Set(nodes.map((n) => n.id));
      for (const map of [seen, fencingTried])
        for (const id of [...map.keys()]) if (!ids.has(id)) map.delete(id);
      return { nodes, silentMs: (id) => mono - (seen.get(id)?.atMs ?? mono) };
    },
    keys: (snapshot) => snapshot.nodes,
    keyOf: (node) => `node/${node.id}`,
    async reconcile(node, snapshot) {
      if (node.state === 'leaving') await retryFencing(ctx, providerNamed, node, fencingTried);
      else await checkNode(ctx, providerNamed, serverStartedAt, node, snapshot.silentMs(node.id));
    },
  };
}

async function checkNode(
  ctx: ServiceContext,
  providerNamed: (name: string) => Provider,
  serverStartedAt: Date,
  node: NodeRecord,
  silentMs: number,
): Promise<void> {
  const now = ctx.clock.now();
  const { nodeNotRespondingAfterMs, nodeLostAfterMs } = ctx.config.jobs;
  if (!node.registeredAt) {
    if (
      now.getTime() - Math.max(new Date(node.createdAt).getTime(), serverStartedAt.getTime()) >
      registerDeadlineMs
    ) {
      await releaseNode(
        ctx,
        providerNamed(node.provider),
        node,
        `its agent did not register within ${registerDeadlineMs / 1000} s (see HANGAR_HOME/nodes/${node.id}/agent.log)`,
      );
    }
    return;
  }
  // Silence while this server was down is not the node's fault: a node is first seen when this server starts.
  const health = nodeHealth(
    {
      lastHeartbeatAt: new Date(now.getTime() - silentMs).toISOString(),
      registeredAt: node.registeredAt,
    },
    now,
    nodeNotRespondingAfterMs,
    nodeLostAfterMs,
  );
  if (health === 'not-responding') await markUnusable(ctx, node, now);
  if (health === 'lost') await markLost(ctx, providerNamed(node.provider), node);
}
