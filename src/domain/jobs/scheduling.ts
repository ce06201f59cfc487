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

/** What the scheduler needs of a queued job. */
export type SchedulableJob = Pick<
  JobRecord,
  'name' | 'workspace' | 'computeName' | 'priority' | 'queueSeq' | 'gang' | 'reason'
>;

export interface DecideOptions {
  /**
   * Leave out of `waiting` the jobs whose `reason` already is the one decided: nothing to write for
   * them, and a long queue that cannot move is not walked a second time to find that out.
   */
  omitUnchanged?: boolean;
}

/** The scheduler's decision: which job goes where, and why the others wait. */
export interface SchedulingDecision<T extends SchedulableJob = JobRecord> {
  assignments: { job: T; nodeId: string }[];
  /**
   * The jobs left waiting, grouped by reason (every job waiting on one compute shares it): a queue of
   * 100,000 jobs gets a few groups, not an object per job.
   */
  waiting: { reason: string; jobs: T[] }[];
}

/** The waiting jobs one by one, in the decision's order. */
export function waitingJobs<T extends SchedulableJob>(
  decision: SchedulingDecision<T>,
): { jobName: string; reason: string }[] {
  return decision.waiting.flatMap((w) => w.jobs.map((j) => ({ jobName: j.name, reason: w.reason })));
}

/** Queue order: higher priority first, then first come, first served. */
export function queueOrder(
  a: Pick<JobRecord, 'priority' | 'queueSeq'>,
  b: Pick<JobRecord, 'priority' | 'queueSeq'>,
): number {
  return b.priority - a.priority || a.queueSeq - b.queueSeq;
}

/** One priority's jobs, and whether they came in queue sequence. */
interface Bucket<T> {
  jobs: T[];
  ordered: boolean;
  /** The queue sequence of its last job. */
  lastSeq: number;
}

/**
 * Jobs split by priority in one walk, noting whether any is a rank of a multi-node job and whether
 * each priority's jobs came in queue sequence (every walk over 100,000 jobs costs milliseconds).
 */
function byPriority<T extends Pick<JobRecord, 'priority' | 'queueSeq' | 'gang'>>(
  queued: readonly T[],
): { buckets: Map<number, Bucket<T>>; ranks: boolean } {
  const buckets = new Map<number, Bucket<T>>();
  let ranks = false;
  let bucket: Bucket<T> | undefined;
  let priority: number | undefined;
  for (const job of queued) {
    if (job.priority !== priority || !bucket) {
      priority = job.priority;
      bucket = buckets.get(priority);
      if (!bucket) buckets.set(priority, (bucket = { jobs: [], ordered: true, lastSeq: -Infinity }));
    }
    const seq = job.queueSeq;
    if (seq < bucket.lastSeq) bucket.ordered = false;
    bucket.lastSeq = seq;
    bucket.jobs.push(job);
    if (job.gang?.parent !== undefined) ranks = true;
  }
  return { buckets, ranks };
}

/** The buckets' jobs, highest priority first, each bucket in queue sequence (sorted only when out of order). */
function concatInOrder<T extends Pick<JobRecord, 'priority' | 'queueSeq'>>(
  buckets: Map<number, Bucket<T>>,
): T[] {
  const out: T[] = [];
  for (const priority of [...buckets.keys()].sort((a, b) => b - a)) {
    const bucket = buckets.get(priority);
    if (!bucket) continue;
    if (!bucket.ordered) bucket.jobs.sort((a, b) => a.queueSeq - b.queueSeq);
    // One priority (the common queue): the bucket is the answer, not copied.
    if (buckets.size === 1) return bucket.jobs;
    for (const job of bucket.jobs) out.push(job);
  }
  return out;
}

/**
 * The jobs in queue order (as `sort(queueOrder)`, stable), in linear time when, as the store reads
 * them, each priority's jobs already come in queue sequence: they are split by priority (a few
 * values) and a bucket is sorted only when it is out of order.
 */
export function inQueueOrder<T extends Pick<JobRecord, 'priority' | 'queueSeq'>>(queued: readonly T[]): T[] {
  return concatInOrder(byPriority(queued).buckets);
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

/**
 * Queue order, with the queued ranks of each multi-node job kept together as one unit (at the
 * place of its first rank). A job is its own unit; only ranks are grouped (arrays are made for them only).
 */
function placementUnits<T extends SchedulableJob>(
  queued: readonly T[],
): { units: (T | T[])[]; ranks: boolean } {
  const split = byPriority(queued);
  const sorted = concatInOrder(split.buckets);
  if (!split.ranks) return { units: sorted, ranks: false };
  const units: (T | T[])[] = [];
  const gangs = new Map<string, T[]>();
  for (const job of sorted) {
    const parent = job.gang?.parent;
    if (parent === undefined) {
      units.push(job);
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
  return { units, ranks: true };
}

/**
 * Free slots of one compute's nodes, emptiest first in O(1): buckets of node ids by free count.
 * Ties go to the node listed first, so the choice is stable.
 */
class FreeSlots {
  private readonly buckets = new Map<number, string[]>();
  /** Each node's place in the list, built the first time a node moves between buckets (several slots). */
  private positions: Map<string, number> | undefined;
  private top = 0;

  constructor(
    private readonly nodes: readonly SchedulableNode[],
    readonly free: Map<string, number>,
  ) {
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
    const position = (this.positions ??= new Map(this.nodes.map((n, i) => [n.id, i])));
    const pos = position.get(id) ?? 0;
    let lo = 0;
    let hi = bucket.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((position.get(bucket[mid] ?? '') ?? 0) < pos) lo = mid + 1;
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
export function decideAssignments<T extends SchedulableJob>(
  queued: readonly T[],
  nodes: readonly SchedulableNode[],
  computes: ReadonlyMap<string, ComputeForScheduling>,
  options: DecideOptions = {},
): SchedulingDecision<T> {
  const walk = decisionWalk(queued, nodes, computes, options);
  walk.walk(0, walk.units);
  return walk.finish();
}

/** Units of the queue walked between two pauses of decisionSteps. */
export const unitsPerStep = 1024;

/**
 * decideAssignments as steps: the same pure decision over the same snapshot, pausing (`yield`)
 * every `unitsPerStep` units of the queue so that a caller on an event loop can give requests a
 * turn during a walk over a long queue; the generator's return value is the decision. Only the
 * pauses are the generator's: the walk itself is a plain function (a walk inside a generator ran
 * about 15 % slower).
 */
export function* decisionSteps<T extends SchedulableJob>(
  queued: readonly T[],
  nodes: readonly SchedulableNode[],
  computes: ReadonlyMap<string, ComputeForScheduling>,
  options: DecideOptions = {},
): Generator<void, SchedulingDecision<T>, void> {
  const walk = decisionWalk(queued, nodes, computes, options);
  for (let from = 0; from < walk.units; from += unitsPerStep) {
    if (from > 0) yield;
    walk.walk(from, Math.min(walk.units, from + unitsPerStep));
  }
  return walk.finish();
}

/** A decision over a snapshot, walked over the queue's units in ranges, then finished. */
interface DecisionWalk<T extends SchedulableJob> {
  /** Units (single jobs or gangs) in the queue's order. */
  units: number;
  /** Walks units [from, to). */
  walk(from: number, to: number): void;
  /** The decision, once every unit was walked. */
  finish(): SchedulingDecision<T>;
}

function decisionWalk<T extends SchedulableJob>(
  queued: readonly T[],
  nodes: readonly SchedulableNode[],
  computes: ReadonlyMap<string, ComputeForScheduling>,
  options: DecideOptions,
): DecisionWalk<T> {
  const free = new Map<string, number>();
  for (const n of nodes)
    free.set(n.id, n.state === 'idle' || n.state === 'running' ? Math.max(0, n.slots - n.busy) : 0);
  const byCompute = new Map<string, SchedulableNode[]>();
  for (const n of nodes) {
    const list = byCompute.get(n.computeName);
    if (list) list.push(n);
    else byCompute.set(n.computeName, [n]);
  }
  /** Per compute, looked up once per run of jobs on it (the queue is mostly long runs of one compute). */
  interface Target {
    name: string;
    blocked: boolean;
    pool: FreeSlots;
    /** Set once a multi-node job waits on it: nothing behind it jumps ahead. */
    behind?: string;
    /** Single jobs that found no free slot on it, in queue order. */
    waiting: T[];
    /** Why single jobs wait on it; final once none of its slots is free (they only shrink in a pass). */
    waitWhy?: string;
    /** The group of jobs waiting behind a multi-node job on it. */
    behindGroup?: { reason: string; jobs: T[] };
  }
  const targets = new Map<string, Target>();
  /** A compute's nodes with their slots as taken so far. */
  const viewOf = (computeName: string): SchedulableNode[] =>
    (byCompute.get(computeName) ?? []).map((n) => ({ ...n, busy: n.slots - (free.get(n.id) ?? 0) }));
  const whyWaiting = (computeName: string): string =>
    waitReason(computes.get(computeName), computeName, viewOf(computeName));
  const targetOf = (computeName: string): Target => {
    let t = targets.get(computeName);
    if (!t) {
      const compute = computes.get(computeName);
      t = {
        name: computeName,
        blocked: compute !== undefined && instanceClosed(compute),
        pool: new FreeSlots(byCompute.get(computeName) ?? [], free),
        waiting: [],
      };
      targets.set(computeName, t);
    }
    return t;
  };
  const decision: SchedulingDecision<T> = { assignments: [], waiting: [] };
  let last: Target | undefined;
  const { units, ranks } = placementUnits(queued);
  // With multi-node jobs queued, a reason may still change to "behind" later in the walk.
  const omit = options.omitUnchanged === true && !ranks;
  const walk = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const item = units[i] as T | T[];
      const single = Array.isArray(item) ? undefined : item;
      const first = single ?? (item as T[])[0];
      if (!first) continue;
      const t = last?.name === first.computeName ? last : (last = targetOf(first.computeName));
      const behind = t.behind;
      if (single && !single.gang && !behind) {
        const target = t.blocked ? undefined : t.pool.take();
        if (target) decision.assignments.push({ job: single, nodeId: target });
        else if (!omit || single.reason !== (t.waitWhy ??= whyWaiting(t.name))) t.waiting.push(single);
        continue;
      }
      const unit = single ? [single] : (item as T[]);
      // A gang: all its ranks on distinct nodes at once, or none; while it waits, nothing behind it
      // on that compute jumps ahead (no half-placed gangs, no starving a large job).
      if (!behind && !t.blocked && t.pool.freeNodes >= unit.length) {
        for (const rank of unit) decision.assignments.push({ job: rank, nodeId: t.pool.take() ?? '' });
        continue;
      }
      if (behind) {
        if (!t.behindGroup) decision.waiting.push((t.behindGroup = { reason: behind, jobs: [] }));
        for (const rank of unit) t.behindGroup.jobs.push(rank);
      } else {
        const reason = `waiting for ${unit.length} free nodes of ${first.computeName} at once (${t.pool.freeNodes} free now)`;
        decision.waiting.push({ reason, jobs: unit });
      }
      if (!behind && first.gang)
        t.behind = `waiting behind multi-node job ${first.gang.parent ?? first.name} on ${first.computeName}`;
    }
  };
  const finish = (): SchedulingDecision<T> => {
    for (const t of targets.values()) {
      if (t.waiting.length === 0) continue;
      const reason = t.behind ?? (t.waitWhy ??= whyWaiting(t.name));
      decision.waiting.push({ reason, jobs: t.waiting });
    }
    return decision;
  };
  return { units: units.length, walk, finish };
}
