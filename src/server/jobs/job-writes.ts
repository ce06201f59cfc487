import { HangarError } from '../../domain/errors/hangar-error.js';
import type { JobRecord } from '../../domain/jobs/job-record.js';
import type { ServiceContext } from '../services/service-context.js';
import { jobKey } from './job-key.js';

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
      if (written.status !== current.status) ctx.wake();
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
