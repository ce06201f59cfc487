import { HangarError } from '../../domain/errors/hangar-error.js';
import { terminalStates, type JobRecord } from '../../domain/jobs/job-record.js';
import type { WakeScope } from '../loops/wake-scope.js';
import type { ServiceContext } from '../services/service-context.js';
import { jobKey } from './job-key.js';

/**
 * The loops a job's change of status concerns. The node pool (demand), pipelines and sweeps
 * (their children) read every active job per pass; a plain job moving between active states
 * (Queued, Preparing, Running…: a status report) changes nothing they decide, and at scale those
 * wake-ups were most of the server's time (issue 22). Their next pass at the interval sees it.
 */
function wakeScopeOf(job: JobRecord): WakeScope | undefined {
  const related = job.parentJobName !== undefined || job.gang !== undefined || job.controller !== undefined;
  if (related || terminalStates.has(job.status)) return undefined;
  return { except: ['node-pool', 'pipelines', 'sweeps'] };
}

/**
 * Applies a pure transition and writes it; on a concurrent write (Conflict) reads the job again
 * and retries, so the API, agents and loops can change the same job safely. The store checks and
 * bumps the version: the change is written against the version of the job it was applied to.
 * Answers the job as written (or as it stands when nothing changed).
 */
export async function updateJob(
  ctx: ServiceContext,
  job: JobRecord,
  change: (j: JobRecord) => JobRecord | undefined,
): Promise<JobRecord> {
  let current = job;
  for (let i = 0; i < 5; i++) {
    const next = change(current);
    if (!next) return current;
    try {
      const written = await ctx.store.jobs.update({ ...next, version: current.version });
      ctx.signals.jobChanged(jobKey(written.workspace, written.name));
      if (written.status !== current.status) ctx.wake(wakeScopeOf(written));
      return written;
    } catch (err) {
      if (!(err instanceof HangarError) || err.code !== 'Conflict') throw err;
      const fresh = await ctx.store.jobs.get(job.workspace, job.name);
      if (!fresh) throw err;
      current = fresh;
    }
  }
  throw new HangarError('Conflict', `Job '${job.name}' kept changing concurrently; try again.`, job.name);
}
