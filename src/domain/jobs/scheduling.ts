import { kindOf, type ComputeType } from '../compute/compute-kinds.js';
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
  computeType: ComputeType;
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
export function queueOrder(
  a: Pick<JobRecord, 'priority' | 'queueSeq'>,
  b: Pick<JobRecord, 'priority' | 'queueSeq'>,
): number {
  return b.priority - a.priority || a.queueSeq - b.queueSeq;
}

/** An instance takes jobs only while it is up (Running, or JobRunning with slots to spare). */
function instanceClosed(compute: ComputeForScheduling): boolean {
  return kindOf(compute).isInstance && compute.state !== 'Running' && compute.state !== 'JobRunning';
}

function waitReason(
  compute: ComputeForScheduling | undefined,
  computeName: string,
  nodes: SchedulableNode[],
): string {
  if (!compute) return `compute ${computeName} does not exist`;
  if (instanceClosed(compute)) return `compute ${computeName} is ${compute.state}`;
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

/** Queue order, with the queued ranks of each multi-node job kept together as one unit. */
function placementUnits(queued: readonly JobRecord[]): JobRecord[][] {
  const units: JobRecord[][] = [];
  const gangs = new Map<string, JobRecord[]>();
  for (const job of [...queued].sort(queueOrder)) {
    const parent = job.gang?.parent;
    if (parent === undefined) {
      units.push([job]);
      continue;
    }
    const key = `${job.workspace}/${parent}`;
    const unit = gangs.get(key);
    if (unit) unit.push(job);
    else {
      const created = [job];
      gangs.set(key, created);
      units.push(created);
    }
  }
  return units;
}

/**
 * Free slots of one compute's nodes, emptiest first in O(1): buckets of node ids by free count.
 * Ties go to the node listed first, so the choice is stable.
 */
class FreeSlots {
  private readonly buckets = new Map<number, string[]>();
  private readonly position = new Map<string, number>();
  private top = 0;

  constructor(
    nodes: readonly SchedulableNode[],
    readonly free: Map<string, number>,
  ) {
    nodes.forEach((n, i) => this.position.set(n.id, i));
    for (const n of nodes) {
      const f = free.get(n.id) ?? 0;
      if (f <= 0) continue;
      const bucket = this.buckets.get(f) ?? [];
      bucket.push(n.id);
      this.buckets.set(f, bucket);
      this.top = Math.max(this.top, f);
    }
  }

  /** Nodes with at least one free slot. */
  get freeNodes(): number {
    let n = 0;
    for (const bucket of this.buckets.values()) n += bucket.length;
    return n;
  }

  /** Takes one slot on the emptiest node; undefined when none is free. */
  take(): string | undefined {
    while (this.top > 0 && (this.buckets.get(this.top)?.length ?? 0) === 0) this.top--;
    const id = this.buckets.get(this.top)?.shift();
    if (id === undefined) return undefined;
    const left = this.top - 1;
    this.free.set(id, left);
    if (left > 0) {
      const bucket = this.buckets.get(left) ?? [];
      bucket.splice(this.insertAt(bucket, id), 0, id);
      this.buckets.set(left, bucket);
    }
    return id;
  }

  /** Where `id` goes in `bucket` to keep it in node-list order (binary search). */
  private insertAt(bucket: readonly string[], id: string): number {
    const pos = this.position.get(id) ?? 0;
    let lo = 0;
    let hi = bucket.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.position.get(bucket[mid] ?? '') ?? 0) < pos) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * Places queued jobs on nodes with free slots, in queue order (priority, then FIFO), preferring
 * the emptiest node so parallel jobs spread out. Pure: the caller passes a snapshot of jobs, nodes
 * and computes and applies the result. O(jobs · log jobs + nodes): free slots only shrink during
 * a pass, so every job left waiting on a compute waits for the same reason, computed once.
 */
export function decideAssignments(
  queued: readonly JobRecord[],
  nodes: readonly SchedulableNode[],
  computes: ReadonlyMap<string, ComputeForScheduling>,
): SchedulingDecision {
  const free = new Map(
    nodes.map((n) => [n.id, n.state === 'idle' || n.state === 'running' ? Math.max(0, n.slots - n.busy) : 0]),
  );
  const byCompute = new Map<string, SchedulableNode[]>();
  for (const n of nodes) {
    const list = byCompute.get(n.computeName);
    if (list) list.push(n);
    else byCompute.set(n.computeName, [n]);
  }
  const slots = new Map<string, FreeSlots>();
  const reasons = new Map<string, string>();
  const decision: SchedulingDecision = { assignments: [], waiting: [] };
  const waiting: JobRecord[] = [];
  const poolOf = (computeName: string): FreeSlots => {
    let pool = slots.get(computeName);
    if (!pool) slots.set(computeName, (pool = new FreeSlots(byCompute.get(computeName) ?? [], free)));
    return pool;
  };
  for (const unit of placementUnits(queued)) {
    const first = unit[0];
    if (!first) continue;
    const compute = computes.get(first.computeName);
    const blocked = compute !== undefined && instanceClosed(compute);
    const pool = poolOf(first.computeName);
    const behind = reasons.get(first.computeName);
    if (unit.length === 1 && !first.gang && !behind) {
      const target = blocked ? undefined : pool.take();
      if (target) decision.assignments.push({ jobName: first.name, nodeId: target });
      else waiting.push(first);
      continue;
    }
    // A gang: all its ranks on distinct nodes at once, or none; while it waits, nothing behind it
    // on that compute jumps ahead (no half-placed gangs, no starving a large job).
    if (!behind && !blocked && pool.freeNodes >= unit.length) {
      for (const rank of unit) decision.assignments.push({ jobName: rank.name, nodeId: pool.take() ?? '' });
      continue;
    }
    const reason =
      behind ??
      `waiting for ${unit.length} free nodes of ${first.computeName} at once (${pool.freeNodes} free now)`;
    for (const rank of unit) decision.waiting.push({ jobName: rank.name, reason });
    if (!behind && first.gang)
      reasons.set(
        first.computeName,
        `waiting behind multi-node job ${first.gang.parent ?? first.name} on ${first.computeName}`,
      );
  }
  for (const job of waiting) {
    let reason = reasons.get(job.computeName);
    if (reason === undefined) {
      const view = (byCompute.get(job.computeName) ?? []).map((n) => ({
        ...n,
        busy: n.slots - (free.get(n.id) ?? 0),
      }));
      reasons.set(
        job.computeName,
        (reason = waitReason(computes.get(job.computeName), job.computeName, view)),
      );
    }
    decision.waiting.push({ jobName: job.name, reason });
  }
  return decision;
}
