import { isInstance, nodeBounds, type ComputeRecord } from '../../domain/compute/compute-record.js';
import { terminalStates, unfinishedStates, type JobRecord } from '../../domain/jobs/job-record.js';
import {
  assignJob,
  finishWithoutNode,
  refreshWaitReason,
  sameWaitKind,
  setWaitReason,
} from '../../domain/jobs/job-transitions.js';
import {
  decisionSteps,
  type ComputeForScheduling,
  type SchedulableNode,
  type SchedulingDecision,
} from '../../domain/jobs/scheduling.js';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import { updateJob } from '../jobs/job-writes.js';
import { reconcileGangs } from './gangs.js';
import type { LoopDefinition } from './loop-runner.js';
import type { ServiceContext } from '../services/service-context.js';

function forScheduling(c: ComputeRecord): ComputeForScheduling {
  const state = isInstance(c)
    ? String(c.status.observed.state ?? c.status.provisioningState)
    : c.status.provisioningState;
  // An instance whose node is still starting is not "stopped": let the node wait reason speak.
  const shown = state === 'Starting' || state === 'Creating' ? 'Running' : state;
  return {
    name: c.name,
    computeType: c.spec.computeType,
    state: shown,
    maxNodes: nodeBounds(c.spec).maxNodeCount,
  };
}

function schedulable(nodes: NodeRecord[], busy: ReadonlyMap<string, number>): SchedulableNode[] {
  return nodes.map((n) => ({
    id: n.id,
    computeName: n.computeName,
    state: n.state,
    slots: n.slots,
    busy: busy.get(n.id) ?? 0,
  }));
}

/** Writes between two turns of the event loop: a pass over a long queue must not starve the HTTP server. */
const writesPerTurn = 200;
/**
 * Wait reasons whose counts alone changed, rewritten per pass and workspace at most: the kind of wait is
 * written at once, but a queue of 100,000 jobs must not be rewritten because one node registered.
 */
const countRefreshesPerPass = 100;
/**
 * New kinds of wait written per pass and workspace at most, in queue order (the rest in the next
 * passes): when a compute's state changes, every job queued on it gets a new reason, and writing
 * 100,000 of them (0.1–0.2 ms each) held the scheduler, and placements, for seconds.
 */
export const kindChangesPerPass = 250;
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
/** Jobs visited between two looks at the clock (one per job was milliseconds over 100,000). */
const jobsPerClockCheck = 64;
/**
 * Whether a pass has held the event loop for `sliceMs` since its last turn: a pass over a long
 * queue that writes little (reasons unchanged) must still let requests (registrations) in.
 */
function timeSlice(sliceMs: number): () => boolean {
  let last = performance.now();
  return () => {
    const now = performance.now();
    if (now - last < sliceMs) return false;
    last = now;
    return true;
  };
}

/**
 * Runs a decision's steps, giving the event loop a turn whenever the pass's slice is spent (sorting
 * a long queue may have spent it already): the decision's walk over 30,000 jobs held the event loop
 * 8 ms at its p99. The steps work on the pass's snapshot, which a turn does not change.
 */
async function decideInSlices(
  steps: Generator<void, SchedulingDecision, void>,
  due: () => boolean,
): Promise<SchedulingDecision> {
  if (due()) await turn();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (due()) await turn();
  }
}

/**
 * A pass's writes, landed in one store transaction per batch: each write on its own paid SQLite's
 * commit (a batch costs 0.035 ms a job instead of 0.087 ms on the control-plane benchmark's
 * database), and a pass over a long queue writes hundreds (placements, wait reasons). A batch ends
 * after `writesPerTurn` writes or when the pass gives the event loop a turn: no write waits across
 * one, and the nodes given work are told once their jobs are committed.
 */
class PassWrites {
  private pending: (() => Promise<unknown>)[] = [];
  private woken: string[] = [];

  constructor(private readonly ctx: ServiceContext) {}

  /** Queues a write (and the node it gives work to); a full batch lands, then the event loop turns. */
  add(write: () => Promise<unknown>, nodeId?: string): Promise<void> {
    this.pending.push(write);
    if (nodeId !== undefined) this.woken.push(nodeId);
    return this.pending.length >= writesPerTurn ? this.yield() : Promise.resolve();
  }

  /** Lands what is queued, then gives the event loop a turn (requests, other loops). */
  async yield(): Promise<void> {
    await this.flush();
    await turn();
  }

  /** Lands what is queued, in one transaction, and tells the nodes that got work. */
  async flush(): Promise<void> {
    const [batch, woken] = [this.pending, this.woken];
    [this.pending, this.woken] = [[], []];
    if (batch.length > 0)
      await this.ctx.store.transaction(async () => {
        for (const write of batch) await write();
      });
    for (const nodeId of woken) this.ctx.signals.nodeWork(nodeId);
  }
}

/** Jobs pinned to one node (`local` jobs) go to that node once it is registered and free, nowhere else. */
async function schedulePinned(
  ctx: ServiceContext,
  pinned: JobRecord[],
  nodes: NodeRecord[],
  busy: ReadonlyMap<string, number>,
  now: Date,
): Promise<void> {
  for (const job of pinned) {
    const node = nodes.find((n) => n.id === job.pinnedNodeId);
    if (!node) {
      await updateJob(ctx, job, (j) =>
        finishWithoutNode(
          j,
          'Failed',
          `its local agent (node ${j.pinnedNodeId ?? '?'}) is gone; the \`hangar job create\` that submitted it stopped before the job could start`,
          now,
        ),
      );
    } else if (node.registeredAt !== undefined && node.state === 'idle' && !busy.get(node.id)) {
      await updateJob(ctx, job, (j) =>
        j.status === 'Queued' && !j.nodeId
          ? assignJob(j, { id: node.id, name: node.hostname ?? node.id }, now)
          : undefined,
      );
      ctx.signals.nodeWork(node.id);
    }
  }
}

async function scheduleWorkspace(
  ctx: ServiceContext,
  workspace: string,
  group: WorkspaceJobs,
  memo: PassMemo,
  due: () => boolean,
): Promise<void> {
  const { pinned, gone, runnable, busy, computes } = group;
  const nodes = (await ctx.store.nodes.all({ workspace })).filter(
    (n) => n.registeredAt !== undefined || n.state === 'preparing',
  );
  const now = ctx.clock.now();
  await schedulePinned(ctx, pinned, nodes, busy, now);
  // A job whose compute disappeared can never run: say so instead of waiting forever.
  for (const job of gone) {
    await updateJob(ctx, job, (j) =>
      finishWithoutNode(j, 'Failed', `compute ${j.computeName} was deleted before the job could start`, now),
    );
  }
  const last = memo.decisions.get(workspace);
  // Nodes that look as they did: the last view again (a view of 10,000 nodes per pass is garbage).
  const view = last && viewStill(last.nodes, nodes, busy) ? last.nodes : schedulable(nodes, busy);
  // The same jobs (as one sorting of the same records) on nodes that look the same: the same decision.
  const same = last && last.group === group && last.nodes === view;
  const decision =
    same && last
      ? last.decision
      : await decideInSlices(
          decisionSteps(
            runnable,
            view,
            new Map([...computes.values()].map((c) => [c.name, forScheduling(c)])),
            { omitUnchanged: true },
          ),
          due,
        );
  memo.decisions.set(workspace, { group, nodes: view, decision });
  const writes = new PassWrites(ctx);
  let countRefreshes = 0;
  for (const { job, nodeId } of decision.assignments) {
    if (due()) await writes.yield();
    await writes.add(
      () =>
        updateJob(ctx, job, (j) =>
          j.status === 'Queued' && !j.nodeId ? assignJob(j, { id: nodeId, name: nodeId }, now) : undefined,
        ),
      nodeId,
    );
  }
  let visited = 0;
  let kindChanges = 0;
  try {
    for (const { reason, jobs } of decision.waiting) {
      for (const job of jobs) {
        // Both budgets spent: the rest of the queue waits for the next pass, unvisited.
        if (countRefreshes >= countRefreshesPerPass && kindChanges >= kindChangesPerPass) return;
        if (++visited % jobsPerClockCheck === 0 && due()) await writes.yield();
        // Reasons that need no write cost nothing; the writes give the event loop back now and then.
        if (job.reason === reason) continue;
        const countsOnly = sameWaitKind(job.reason, reason);
        if (countsOnly ? countRefreshes >= countRefreshesPerPass : kindChanges >= kindChangesPerPass)
          continue;
        if (!refreshWaitReason(job, reason, now)) continue;
        if (countsOnly) countRefreshes++;
        else kindChanges++;
        await writes.add(async () => {
          const written = await updateJob(ctx, job, (j) =>
            j.status === 'Queued' && !j.nodeId ? refreshWaitReason(j, reason, now) : undefined,
          );
          // Its reason alone changed (no write came in between): the memo follows the write.
          if (written.version === job.version + 1) memo.replaced.set(job, written);
        });
      }
    }
  } finally {
    await writes.flush();
  }
}

/** The scheduler's one key: the queue is decided as a whole (priority and FIFO span every job). */
const queueKey = 'queue';

/**
 * The scheduler loop: queued jobs without a node go to nodes with free slots (priority, then
 * FIFO); the others get a plain reason why they wait. It reads fresh on each pass, as one key.
 */
export function schedulerLoop(ctx: ServiceContext): LoopDefinition<void, typeof queueKey> {
  const memo: PassMemo = { decisions: new Map(), replaced: new Map() };
  return {
    name: 'scheduler',
    intervalMs: ctx.config.reconcileIntervalMs,
    read: () => Promise.resolve(),
    keys: () => [queueKey],
    keyOf: (key) => key,
    reconcile: () => scheduleQueue(ctx, memo),
  };
}

/** One workspace's unfinished jobs, as one walk over the active jobs sorts them. */
interface WorkspaceJobs {
  workspace: string;
  /** Its computes by name. */
  computes: Map<string, ComputeRecord>;
  /** Queued jobs without a node, in the store's order: pinned to one node (`local` jobs)... */
  pinned: JobRecord[];
  /** ...whose compute is gone or being deleted... */
  gone: JobRecord[];
  /** ...and the others, which the scheduler places. */
  runnable: JobRecord[];
  /** Attempts on each node. */
  busy: Map<string, number>;
}

/** The active jobs as a pass works on them. */
interface SortedJobs {
  groups: Map<string, WorkspaceJobs>;
  gangs: JobRecord[];
  held: Set<JobRecord>;
}

/**
 * Sorts the active jobs by workspace and what the scheduler does with them in one walk (each walk
 * over 100,000 jobs costs milliseconds of the pass).
 */
async function byWorkspace(
  jobs: readonly JobRecord[],
  computes: readonly ComputeRecord[],
  due: () => boolean,
): Promise<SortedJobs> {
  const gangKey = (j: JobRecord): string => `${j.workspace}/${j.gang?.parent ?? ''}`;
  const computesOf = new Map<string, Map<string, ComputeRecord>>();
  for (const c of computes) {
    const named = computesOf.get(c.workspace);
    if (named) named.set(c.name, c);
    else computesOf.set(c.workspace, new Map([[c.name, c]]));
  }
  const groups = new Map<string, WorkspaceJobs>();
  const onNodes = new Set<string>();
  const waitingRanks: JobRecord[] = [];
  const gangs: JobRecord[] = [];
  let group: WorkspaceJobs | undefined;
  let computeName: string | undefined;
  let compute: ComputeRecord | undefined;
  let visited = 0;
  for (const j of jobs) {
    // A long queue's walk gives requests a turn once the pass's slice is spent (the snapshot is frozen).
    if (++visited % jobsPerClockCheck === 0 && due()) await turn();
    if (terminalStates.has(j.status)) continue;
    if (j.workspace !== group?.workspace) {
      computeName = undefined;
      group = groups.get(j.workspace);
      if (!group) {
        const named = computesOf.get(j.workspace) ?? new Map<string, ComputeRecord>();
        group = {
          workspace: j.workspace,
          computes: named,
          pinned: [],
          gone: [],
          runnable: [],
          busy: new Map(),
        };
        groups.set(j.workspace, group);
      }
    }
    if (j.nodeId !== undefined) group.busy.set(j.nodeId, (group.busy.get(j.nodeId) ?? 0) + 1);
    if (j.gang !== undefined) {
      gangs.push(j);
      if (j.gang.parent !== undefined && j.nodeId) onNodes.add(gangKey(j));
    }
    // The job a user sees of a multi-node job never runs itself (its ranks do), nor a sweep or pipeline.
    if (j.status !== 'Queued' || j.nodeId || j.controller || (j.gang && j.gang.parent === undefined))
      continue;
    // The queue is mostly long runs of one compute: it is looked up once per run.
    if (j.computeName !== computeName) compute = group.computes.get((computeName = j.computeName));
    if (j.pinnedNodeId !== undefined) group.pinned.push(j);
    else if (!compute || compute.status.provisioningState === 'Deleting') group.gone.push(j);
    else group.runnable.push(j);
    if (j.gang?.parent !== undefined) waitingRanks.push(j);
  }
  // A gang restarts together: its queued ranks wait while any sibling is still on a node.
  const held = new Set(waitingRanks.filter((j) => onNodes.has(gangKey(j))));
  return { groups, gangs, held };
}

/**
 * What the last pass worked out from its snapshot, reused while the next snapshot is the very same
 * records: the store hands out each version of a record as one frozen object, and a write replaces
 * it. A long queue on a full cluster is then not sorted and decided again on every pass (each walk
 * over 100,000 jobs costs milliseconds); what is written still depends on the time of the pass.
 */
interface PassMemo {
  jobs?: readonly JobRecord[];
  computes?: readonly ComputeRecord[];
  sorted?: SortedJobs;
  /** Per workspace, the last decision and what it was made from. */
  decisions: Map<string, { group: WorkspaceJobs; nodes: SchedulableNode[]; decision: SchedulingDecision }>;
  /**
   * Records the last pass replaced by rewriting only their wait reason, old → new: the next
   * snapshot is still "the same" with them in place (a long queue is told its new kind of wait
   * over many passes, each changing a few hundred records).
   */
  replaced: Map<JobRecord, JobRecord>;
}

/** Puts the replacing records in place of the replaced ones in the memo's lists. */
function followWrites(memo: PassMemo): void {
  const { replaced } = memo;
  const patch = (list: JobRecord[]): void => {
    for (let i = 0; i < list.length; i++) {
      const now = replaced.get(list[i] as JobRecord);
      if (now) list[i] = now;
    }
  };
  if (memo.sorted) patch(memo.sorted.gangs);
  for (const group of memo.sorted?.groups.values() ?? []) patch(group.runnable);
  for (const { decision } of memo.decisions.values()) for (const w of decision.waiting) patch(w.jobs);
}

const nothingReplaced: ReadonlyMap<unknown, unknown> = new Map<unknown, unknown>();

/**
 * Whether `b` holds the objects of `a` in the same order, but those `replaced` maps to the ones
 * that took their place (a pointer comparison per item, a lookup per difference).
 */
function sameItems<T>(
  a: readonly T[] | undefined,
  b: readonly T[],
  replaced: ReadonlyMap<unknown, unknown> = nothingReplaced,
): boolean {
  if (a?.length !== b.length) return false;
  for (let i = 0; i < b.length; i++) {
    const x = a[i];
    if (x !== b[i] && (x === undefined || replaced.get(x) !== b[i])) return false;
  }
  return true;
}

/** Whether a view of the nodes still shows them: the same nodes, states, slots and attempts. */
function viewStill(
  view: readonly SchedulableNode[],
  nodes: readonly NodeRecord[],
  busy: ReadonlyMap<string, number>,
): boolean {
  if (view.length !== nodes.length) return false;
  for (let i = 0; i < nodes.length; i++) {
    const x = view[i];
    const n = nodes[i];
    if (
      x?.id !== n?.id ||
      x?.computeName !== n?.computeName ||
      x?.state !== n?.state ||
      x?.slots !== n?.slots ||
      x?.busy !== (busy.get(n?.id ?? '') ?? 0)
    )
      return false;
  }
  return true;
}

/** The active jobs sorted as byWorkspace sorts them, from the memo when they are the same records. */
async function sortedJobs(
  memo: PassMemo,
  jobs: readonly JobRecord[],
  computes: readonly ComputeRecord[],
  due: () => boolean,
): Promise<SortedJobs> {
  const same = memo.sorted && sameItems(memo.computes, computes) && sameItems(memo.jobs, jobs, memo.replaced);
  if (same && memo.replaced.size > 0) followWrites(memo);
  memo.replaced.clear();
  memo.jobs = jobs;
  if (same && memo.sorted) return memo.sorted;
  memo.decisions.clear();
  const sorted = await byWorkspace(jobs, computes, due);
  Object.assign(memo, { computes, sorted });
  return sorted;
}

/** The jobs a pass reads: every unfinished one but those still being recorded (NotStarted: not queued yet). */
const activeStates = unfinishedStates.filter((state) => state !== 'NotStarted');

async function scheduleQueue(ctx: ServiceContext, memo: PassMemo): Promise<void> {
  // One slice for the whole pass: sorting, deciding and writing each hand the event loop back once it is spent.
  const due = timeSlice(Math.max(2, ctx.config.admission.sliceMs));
  const computes = await ctx.store.computes.all({});
  let sorted = await sortedJobs(
    memo,
    await ctx.store.jobs.all({ statuses: [...activeStates] }),
    computes,
    due,
  );
  if (sorted.gangs.length > 0) {
    await reconcileGangs(ctx, sorted.gangs);
    // Read again only when reconciling gangs may have changed jobs (reading 100,000 queued jobs is the pass's cost).
    sorted = await sortedJobs(memo, await ctx.store.jobs.all({ statuses: [...activeStates] }), computes, due);
  }
  const { groups, held } = sorted;
  const now = ctx.clock.now();
  for (const job of held)
    await updateJob(ctx, job, (j) =>
      setWaitReason(j, 'waiting for the other ranks to stop, to restart together', now),
    );
  for (const [ws, all] of groups) {
    // Held ranks wait: a group of its own (the memo's sorting stays as it was).
    const group =
      held.size > 0
        ? {
            ...all,
            runnable: all.runnable.filter((j) => !held.has(j)),
            gone: all.gone.filter((j) => !held.has(j)),
          }
        : all;
    if (group.runnable.length + group.pinned.length + group.gone.length > 0)
      await scheduleWorkspace(ctx, ws, group, memo, due);
  }
}
