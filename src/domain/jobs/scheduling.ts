import type { NodeState } from '../nodes/node-record.js';
import type { JobRecord } from './job-record.js';

/** A node as the scheduler sees it. */
export interface SchedulableNode {
  id: string;
  computeName: string;
  state: NodeState;
  slots: number;
  /** Attempts now on it. */
  busy: number;
}

/** What the scheduler knows of each compute that has queued jobs. */
export interface ComputeForScheduling {
  name: string;
  computeType: string;
  /** e.g. Running / Stopped for instances; Succeeded for clusters. */
  state: string;
  maxNodes: number;
}

/** The scheduler's decision: which job goes where, and why the others wait. */
export interface SchedulingDecision {
  assignments: { jobName: string; nodeId: string }[];
  waiting: { jobName: string; reason: string }[];
}

/** Queue order: higher priority first, then first come, first served. */
export function queueOrder(a: Pick<JobRecord, 'priority' | 'queueSeq'>, b: Pick<JobRecord, 'priority' | 'queueSeq'>): number {
  return b.priority - a.priority || a.queueSeq - b.queueSeq;
}

function waitReason(compute: ComputeForScheduling | undefined, computeName: string, nodes: SchedulableNode[]): string {
  if (!compute) return `compute ${computeName} does not exist`;
  if (compute.computeType === 'ComputeInstance' && compute.state !== 'Running') return `compute ${computeName} is ${compute.state}`;
  const ready = nodes.filter((n) => n.state === 'idle' || n.state === 'running');
  if (ready.length === 0) {
    const starting = nodes.filter((n) => n.state === 'preparing').length;
    if (starting > 0) return `waiting for ${starting} node(s) of ${computeName} to start`;
    return `waiting for ${computeName} to provision a node (0/${compute.maxNodes} nodes)`;
  }
  const used = ready.reduce((s, n) => s + n.busy, 0);
  const total = ready.reduce((s, n) => s + n.slots, 0);
  return `waiting for a free slot on ${computeName} (${used}/${total} busy)`;
}

/**
 * Places queued jobs on nodes with free slots, in queue order (priority, then FIFO).
 * Pure: the caller passes a snapshot of jobs, nodes and computes and applies the result.
 */
export function decideAssignments(queued: readonly JobRecord[], nodes: readonly SchedulableNode[], computes: ReadonlyMap<string, ComputeForScheduling>): SchedulingDecision {
  const free = new Map(nodes.map((n) => [n.id, n.state === 'idle' || n.state === 'running' ? Math.max(0, n.slots - n.busy) : 0]));
  const decision: SchedulingDecision = { assignments: [], waiting: [] };
  for (const job of [...queued].sort(queueOrder)) {
    const candidates = nodes.filter((n) => n.computeName === job.computeName);
    const compute = computes.get(job.computeName);
    const blocked = compute?.computeType === 'ComputeInstance' && compute.state !== 'Running';
    // Prefer the emptiest node so parallel jobs spread out.
    const target = blocked ? undefined : candidates.filter((n) => (free.get(n.id) ?? 0) > 0).sort((a, b) => (free.get(b.id) ?? 0) - (free.get(a.id) ?? 0))[0];
    if (target) {
      free.set(target.id, (free.get(target.id) ?? 0) - 1);
      decision.assignments.push({ jobName: job.name, nodeId: target.id });
    } else {
      const view = candidates.map((n) => ({ ...n, busy: n.slots - (free.get(n.id) ?? 0) }));
      decision.waiting.push({ jobName: job.name, reason: waitReason(compute, job.computeName, view) });
    }
  }
  return decision;
}
