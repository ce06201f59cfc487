import { terminalStates, type JobRecord } from '../../domain/jobs/job-record.js';
import { settleReleasedAttempt, setWaitReason } from '../../domain/jobs/job-transitions.js';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import type { Provider } from '../../providers/provider.js';
import { updateJob } from '../jobs/job-writes.js';
import type { ServiceContext } from '../services/service-context.js';

/** How a release ended: the node is gone, or its backend could not stop it and its attempts wait. */
export type ReleaseOutcome = 'released' | 'unfenced';

/** How the unfinished attempts of a released node end (retried, resumed or failed). */
export type SettleAttempt = (job: JobRecord, now: Date) => JobRecord | undefined;

/**
 * Stops a node and forgets it; its unfinished jobs are retried or failed with the reason.
 *
 * Fencing: an attempt is retried elsewhere only once its node is known to be stopped (the provider
 * terminated it, or its agent acknowledged the kill by reporting the attempt ended), so a retry
 * never runs beside the attempt it replaces. When the backend cannot stop the node, the node stays
 * `leaving` with its attempts, and the health loop tries again.
 */
export async function releaseNode(
  ctx: ServiceContext,
  provider: Provider,
  node: NodeRecord,
  reason: string,
  settle?: SettleAttempt,
): Promise<ReleaseOutcome> {
  const current = await ctx.store.nodes.get(node.id);
  if (current && current.state !== 'leaving')
    await ctx.store.nodes.update({ ...current, state: 'leaving', reason });
  const unfinished = async (): Promise<JobRecord[]> =>
    (await ctx.store.jobs.all({ nodeId: node.id })).filter((j) => !terminalStates.has(j.status));
  try {
    await provider.terminate(node.id);
  } catch (err) {
    const message = `Could not stop node ${node.id} on its backend: ${(err as Error).message}`;
    await ctx.store.events.append({
      at: ctx.clock.now().toISOString(),
      workspace: node.workspace,
      resource: `compute/${node.computeName}`,
      reason: 'NodeTerminateFailed',
      message,
      level: 'Warning',
    });
    const waiting = await unfinished();
    if (waiting.length > 0) {
      const now = ctx.clock.now();
      const why = `${message}; the attempt is retried once the node is stopped or its agent confirms the attempt ended`;
      for (const job of waiting) await updateJob(ctx, job, (j) => setWaitReason(j, why, now));
      return 'unfenced';
    }
    // Nothing of ours runs there: the node is forgotten, and the orphan sweep stops it if it shows up again.
  }
  const now = ctx.clock.now();
  const end =
    settle ??
    ((j: JobRecord, at: Date) => settleReleasedAttempt(j, `node ${node.id} was released (${reason})`, at));
  // The attempts end and the node goes in one transaction: a crash never leaves jobs on a node that is gone.
  await ctx.store.transaction(async () => {
    for (const job of await unfinished()) await updateJob(ctx, job, (j) => end(j, now));
    await ctx.store.nodes.delete(node.id);
  });
  await ctx.store.events.append({
    at: now.toISOString(),
    workspace: node.workspace,
    resource: `compute/${node.computeName}`,
    reason: 'NodeReleased',
    message: `Released node ${node.id}: ${reason}.`,
    level: 'Info',
  });
  return 'released';
}
