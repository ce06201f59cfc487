import { rankJobName, terminalStates, type JobRecord } from '../../domain/jobs/job-record.js';
import { reflectGang } from '../../domain/jobs/gang.js';
import { preemptAttempt, requestCancel, requestPreemption } from '../../domain/jobs/job-transitions.js';
import { updateJob } from '../jobs/job-writes.js';
import type { ServiceContext } from '../services/service-context.js';

/**
 * Keeps multi-node jobs whole: when one rank fails, or the job is canceled, every other rank is
 * stopped; the job the user sees then reflects its ranks (see reflectGang).
 */
export async function reconcileGangs(ctx: ServiceContext, active: readonly JobRecord[]): Promise<void> {
  const now = ctx.clock.now();
  const ranksByParent = new Map<
    string,
    { parent: JobRecord | undefined; ranks: (JobRecord | undefined)[] }
  >();
  const gangOf = async (workspace: string, parentName: string) => {
    const key = `${workspace}/${parentName}`;
    let gang = ranksByParent.get(key);
    if (!gang) {
      const parent = await ctx.store.jobs.get(workspace, parentName);
      ranksByParent.set(key, (gang = { parent, ranks: parent ? await ranksOf(ctx, parent) : [] }));
    }
    return gang;
  };
  for (const rank of active.filter((j) => j.gang?.parent !== undefined)) {
    const { parent, ranks } = await gangOf(rank.workspace, rank.gang?.parent ?? '');
    const broken = ranks.some(
      (r) => r === undefined || (terminalStates.has(r.status) && r.status !== 'Completed'),
    );
    if (!parent || terminalStates.has(parent.status) || parent.cancelRequested || broken)
      await updateJob(ctx, rank, (j) => requestCancel(j, now));
  }
  for (const parent of active.filter((j) => j.gang !== undefined && j.gang.parent === undefined)) {
    const ranks = await ranksOf(ctx, parent);
    await regroupAfterPreemption(ctx, ranks, now);
    await updateJob(ctx, parent, (p) => reflectGang(p, ranks, now));
  }
}

/**
 * A rank that went back to the queue (its node was preempted) cannot rejoin a running gang: the
 * other ranks are preempted too, so they checkpoint and the whole gang restarts together.
 */
async function regroupAfterPreemption(
  ctx: ServiceContext,
  ranks: readonly (JobRecord | undefined)[],
  now: Date,
): Promise<void> {
  const requeued = ranks.find(
    (r) => r !== undefined && r.status === 'Queued' && !r.nodeId && r.attempts.length > 0,
  );
  if (!requeued) return;
  const reason = `rank ${requeued.gang?.rank ?? '?'} was preempted; the ranks restart together`;
  const deadline = new Date(now.getTime() + ctx.config.jobs.cancelGraceSeconds * 1000);
  for (const rank of ranks) {
    if (!rank || rank === requeued || !rank.nodeId || terminalStates.has(rank.status)) continue;
    await updateJob(ctx, rank, (j) =>
      j.delivered ? requestPreemption(j, reason, deadline, now) : preemptAttempt(j, reason, now),
    );
    if (rank.nodeId) ctx.signals.nodeWork(rank.nodeId);
  }
}

/** The ranks of a multi-node job, fresh from the store, in rank order (undefined: missing). */
async function ranksOf(ctx: ServiceContext, parent: JobRecord): Promise<(JobRecord | undefined)[]> {
  const ranks: (JobRecord | undefined)[] = [];
  for (let i = 0; i < (parent.gang?.size ?? 0); i++)
    ranks.push(await ctx.store.jobs.get(parent.workspace, rankJobName(parent.name, i)));
  return ranks;
}
