import { terminalStates, type JobRecord, type JobState } from './job-record.js';

/** The next record, modifiedAt set (the store bumps the version when it is written). */
function bump(job: JobRecord, changes: Partial<JobRecord>, now: Date): JobRecord {
  return { ...job, ...changes, modifiedAt: now.toISOString() };
}

const earliest = (times: (string | undefined)[]): string | undefined =>
  times.filter((t): t is string => t !== undefined).sort()[0];

/**
 * What the user's multi-node job shows, from its ranks: Running once every rank runs; Completed
 * when all completed; Failed (or Canceled) once every rank has ended after one failed. Undefined
 * when nothing changes. `ranks` are in rank order; a missing rank fails the job.
 */
export function reflectGang(
  parent: JobRecord,
  ranks: readonly (JobRecord | undefined)[],
  now: Date,
): JobRecord | undefined {
  if (terminalStates.has(parent.status)) return undefined;
  const present = ranks.filter((r): r is JobRecord => r !== undefined);
  const ended = present.filter((r) => terminalStates.has(r.status));
  const failed = present.find((r) => r.status === 'Failed') ?? present.find((r) => r.status === 'Canceled');
  if (present.length < ranks.length || (failed && ended.length === present.length)) {
    const which = failed
      ? `node rank ${failed.gang?.rank ?? '?'} ${failed.status === 'Failed' ? 'failed' : 'was canceled'}: ${failed.error?.message ?? failed.reason ?? ''}`
      : 'a rank is missing';
    const state: JobState =
      parent.cancelRequested || (failed?.status === 'Canceled' && !present.some((r) => r.status === 'Failed'))
        ? 'Canceled'
        : 'Failed';
    const message = `${which}; the other ranks were stopped`;
    return bump(
      parent,
      {
        status: state,
        reason: message,
        error: { code: state === 'Canceled' ? 'JobCanceled' : 'JobFailed', message },
        endTime: now.toISOString(),
        ...(failed?.exitCode === undefined ? {} : { exitCode: failed.exitCode }),
      },
      now,
    );
  }
  if (ended.length === present.length && present.every((r) => r.status === 'Completed')) {
    const last = present
      .map((r) => r.endTime)
      .filter((t): t is string => t !== undefined)
      .sort()
      .at(-1);
    const outputs = present[0]?.outputsSnapshotId;
    return bump(
      parent,
      {
        status: 'Completed',
        reason: undefined,
        exitCode: 0,
        endTime: last ?? now.toISOString(),
        ...(outputs ? { outputsSnapshotId: outputs } : {}),
      },
      now,
    );
  }
  const shown = reflectedState(parent, present);
  const reason =
    shown === 'Queued' ? (present.find((r) => r.status === 'Queued')?.reason ?? parent.reason) : undefined;
  const startTime =
    shown === 'Running' ? (parent.startTime ?? earliest(present.map((r) => r.startTime))) : parent.startTime;
  if (parent.status === shown && parent.reason === reason && parent.startTime === startTime) return undefined;
  return bump(parent, { status: shown, reason, startTime }, now);
}

function reflectedState(parent: JobRecord, ranks: readonly JobRecord[]): JobState {
  if (parent.cancelRequested) return 'CancelRequested';
  if (ranks.some((r) => terminalStates.has(r.status) && r.status !== 'Completed')) return 'CancelRequested';
  if (ranks.some((r) => r.status === 'NotResponding')) return 'NotResponding';
  if (ranks.every((r) => r.status === 'Running' || r.status === 'Finalizing' || r.status === 'Completed'))
    return ranks.some((r) => r.status === 'Running') ? 'Running' : 'Finalizing';
  if (ranks.some((r) => r.status === 'Queued' && !r.nodeId)) return 'Queued';
  return 'Preparing';
}
