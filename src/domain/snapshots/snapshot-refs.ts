import type { JobRecord } from '../jobs/job-record.js';

/**
 * The snapshots a job makes readable to whoever may read the job: its code, its inputs, its
 * outputs and its checkpoint. A snapshot (and the blobs in it) is read through a job, never alone.
 */
export function snapshotIdsOf(
  job: Pick<JobRecord, 'run' | 'outputsSnapshotId' | 'checkpointSnapshotId'>,
): string[] {
  const ids = [
    job.run.snapshotId,
    ...job.run.inputs.map((i) => i.snapshotId),
    job.outputsSnapshotId,
    job.checkpointSnapshotId,
  ];
  return [...new Set(ids.filter((id): id is string => typeof id === 'string' && id !== ''))];
}
