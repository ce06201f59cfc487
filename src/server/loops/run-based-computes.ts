import type { ComputeRecord } from '../../domain/compute/compute-record.js';
import { terminalStates } from '../../domain/jobs/job-record.js';
import type { ServiceContext } from '../services/service-context.js';

/**
 * Run-based computes whose job has ended (or vanished) are deleted, as Azure deletes a cluster it
 * created for one run. The provisioning loop then removes each once its nodes are gone.
 */
export async function retireRunBasedComputes(
  ctx: ServiceContext,
  computes: readonly ComputeRecord[],
): Promise<void> {
  for (const compute of computes) {
    if (!compute.runFor || compute.status.provisioningState === 'Deleting') continue;
    const job = await ctx.store.jobs.get(compute.workspace, compute.runFor);
    if (job && !terminalStates.has(job.status)) continue;
    const now = ctx.clock.now().toISOString();
    // A state the loop sets: a status write, which never conflicts with what users write.
    const written = await ctx.store.computes.updateStatus(compute.id, (current) =>
      current.status.provisioningState === 'Deleting'
        ? undefined
        : { deleteAction: 'Delete', status: { ...current.status, provisioningState: 'Deleting' } },
    );
    if (!written) continue; // deleted meanwhile
    const why = job ? `job ${job.name} ended ${job.status}` : `job ${compute.runFor} no longer exists`;
    await ctx.store.events.append({
      at: now,
      workspace: compute.workspace,
      resource: `compute/${compute.name}`,
      reason: 'RunBasedComputeDeleted',
      message: `Deleting run-based compute: ${why}.`,
      level: 'Info',
    });
    ctx.wake();
  }
}
