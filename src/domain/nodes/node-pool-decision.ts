import { kindOf, type ComputeType } from '../compute/compute-kinds.js';
import { parseIsoDuration } from '../compute/iso-duration.js';
import type { NodeRecord } from './node-record.js';

/** What a compute needs from the node pool now. */
export interface PoolDecision {
  /** Nodes the compute should have. */
  target: number;
  /** How many new nodes to provision. */
  provision: number;
  /** Nodes to release, with the reason. */
  release: { nodeId: string; reason: string }[];
  /** When an idle surplus node will have been idle long enough (so the loop looks again right then). */
  nextReleaseAt?: Date;
  /** Why the pool cannot reach its target (quota, lock): shown on the compute and logged as an event. */
  blocked?: { code: 'QuotaExceeded' | 'ScopeLocked'; message: string };
}

/** Inputs of the pool decision for one compute. */
export interface PoolInput {
  computeType: ComputeType;
  /** For instances: whether it should be running. */
  wantRunning: boolean;
  minNodes: number;
  maxNodes: number;
  idleTimeBeforeScaleDown: string;
  /** Nodes needed by queued + running jobs (one node per job attempt on clusters). */
  demand: number;
  nodes: readonly (Pick<NodeRecord, 'id' | 'state' | 'idleSince'> & { createdAt?: string })[];
  deleting: boolean;
  /** New nodes the quota still admits (undefined: no limit), and the shortfall message when short. */
  quota?: { newNodesAllowed: number; shortfall: (wanted: number) => string };
  /** Instances: a restart asked at this time replaces older nodes. */
  restartRequestedAt?: string;
  /** A ReadOnly lock on the workspace: no scaling either way, said plainly. */
  lockedBy?: string;
}

const live = (s: NodeRecord['state']): boolean => s !== 'leaving' && s !== 'preempted';

/**
 * Decides how the node pool of one compute should change. Clusters: target = clamp(min, max, demand);
 * idle nodes beyond the target leave after the idle time. Instances: one node while running.
 * Deleting computes release everything.
 */
export function decidePool(input: PoolInput, now: Date): PoolDecision {
  const nodes = input.nodes.filter((n) => live(n.state));
  if (input.deleting)
    return {
      target: 0,
      provision: 0,
      release: nodes.map((n) => ({ nodeId: n.id, reason: 'compute is being deleted' })),
    };
  if (kindOf(input).isInstance) {
    const target = input.wantRunning ? 1 : 0;
    // A restart replaces every node started before it was asked for.
    const stale = input.restartRequestedAt
      ? nodes.filter((n) => (n.createdAt ?? '') < String(input.restartRequestedAt))
      : [];
    const kept = nodes.filter((n) => !stale.includes(n));
    const release = [
      ...stale.map((n) => ({ nodeId: n.id, reason: 'instance restarting' })),
      ...kept.slice(target).map((n) => ({ nodeId: n.id, reason: 'instance stopped' })),
    ];
    // The fresh node starts once the old one is gone: one node per instance at a time.
    return { target, provision: stale.length > 0 ? 0 : Math.max(0, target - kept.length), release };
  }
  const target = Math.min(input.maxNodes, Math.max(input.minNodes, input.demand));
  const wanted = Math.max(0, target - nodes.length);
  if (input.lockedBy !== undefined && (wanted > 0 || nodes.length > target)) {
    // Azure leaves such a cluster silently stuck; here the lock is named on it.
    return {
      target,
      provision: 0,
      release: [],
      blocked: {
        code: 'ScopeLocked',
        message: `cannot scale from ${nodes.length} to ${target} node(s): ${input.lockedBy}`,
      },
    };
  }
  const allowed = input.quota ? Math.max(0, input.quota.newNodesAllowed) : wanted;
  const provision = Math.min(wanted, allowed);
  const blocked =
    provision < wanted && input.quota
      ? { code: 'QuotaExceeded' as const, message: input.quota.shortfall(wanted) }
      : undefined;
  const idleLimitMs = (parseIsoDuration(input.idleTimeBeforeScaleDown) ?? 120) * 1000;
  const surplus = nodes.length - target;
  const release: PoolDecision['release'] = [];
  let nextReleaseAt: Date | undefined;
  if (surplus > 0) {
    const idle = nodes
      .filter((n) => n.state === 'idle' && n.idleSince !== undefined)
      .sort((a, b) => String(a.idleSince).localeCompare(String(b.idleSince)));
    const expired = idle.filter(
      (n) => now.getTime() - new Date(String(n.idleSince)).getTime() >= idleLimitMs,
    );
    for (const n of expired.slice(0, surplus))
      release.push({ nodeId: n.id, reason: `idle longer than ${input.idleTimeBeforeScaleDown}` });
    const waiting = idle.find((n) => !expired.includes(n));
    if (release.length < surplus && waiting)
      nextReleaseAt = new Date(new Date(String(waiting.idleSince)).getTime() + idleLimitMs);
  }
  return {
    target,
    provision,
    release,
    ...(nextReleaseAt ? { nextReleaseAt } : {}),
    ...(blocked ? { blocked } : {}),
  };
}
