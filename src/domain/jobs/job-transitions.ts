import type { AttemptStatusReport } from '../nodes/agent-protocol.js';
import {
  countedAttempts,
  currentAttempt,
  terminalStates,
  type AttemptRecord,
  type JobRecord,
  type JobState,
} from './job-record.js';

/**
 * Pure state changes of a job. Each returns the next record (modifiedAt set; the version is the
 * store's to bump when it is written) or `undefined` when nothing changes, so callers write only
 * real transitions.
 */

function bump(job: JobRecord, changes: Partial<JobRecord>, now: Date): JobRecord {
  return { ...job, ...changes, modifiedAt: now.toISOString() };
}

function withAttempt(job: JobRecord, changes: Partial<AttemptRecord>): AttemptRecord[] {
  const last = currentAttempt(job);
  if (!last) return job.attempts;
  return [...job.attempts.slice(0, -1), { ...last, ...changes }];
}

/** The scheduler placed a queued job on a node: a new attempt starts, not yet delivered. */
export function assignJob(job: JobRecord, node: { id: string; name: string }, now: Date): JobRecord {
  const attempt: AttemptRecord = {
    attempt: job.attempts.length + 1,
    nodeId: node.id,
    nodeName: node.name,
    status: 'Queued',
  };
  return bump(
    job,
    {
      nodeId: node.id,
      delivered: false,
      attempts: [...job.attempts, attempt],
      reason: `assigned to node ${node.name}; waiting for it to pick the job up`,
    },
    now,
  );
}

/** The waiting reason changed (only written when it differs). */
export function setWaitReason(job: JobRecord, reason: string, now: Date): JobRecord | undefined {
  return job.reason === reason ? undefined : bump(job, { reason }, now);
}

/** How long a wait reason may show counts that are out of date (`3/500 busy`) before they are rewritten. */
export const waitCountsRefreshMs = 30_000;

/** Reasons seen with their counts taken out; a queue has few distinct ones, asked for per job and pass. */
const kinds = new Map<string, string>();

/** A reason with its counts taken out: what kind of wait it is. */
function waitKind(reason: string): string {
  let kind = kinds.get(reason);
  if (kind === undefined) {
    if (kinds.size >= 1_000) kinds.clear();
    kinds.set(reason, (kind = reason.replace(/\d+/g, '#')));
  }
  return kind;
}

/** Whether two reasons differ only in their counts (`1/2 busy`, `3/4 busy`). */
export function sameWaitKind(a: string | undefined, b: string): boolean {
  return a !== undefined && waitKind(a) === waitKind(b);
}

/**
 * The scheduler's wait reason, written when the kind of wait changes, and when only its counts
 * changed at most every `waitCountsRefreshMs`: counts move with every node that registers or job
 * that starts, and rewriting every waiting job for each of them was most of a busy queue's writes.
 */
export function refreshWaitReason(job: JobRecord, reason: string, now: Date): JobRecord | undefined {
  if (job.reason === reason) return undefined;
  const fresh = now.getTime() - Date.parse(job.modifiedAt) < waitCountsRefreshMs;
  return fresh && sameWaitKind(job.reason, reason) ? undefined : bump(job, { reason }, now);
}

const phaseState: Record<AttemptStatusReport['phase'], JobState> = {
  Preparing: 'Preparing',
  Running: 'Running',
  Finalizing: 'Finalizing',
  Completed: 'Completed',
  Failed: 'Failed',
  Canceled: 'Canceled',
  Preempted: 'Queued',
};

/**
 * The attempt a report is about, while it still runs; undefined for a stale report (another
 * attempt, or one already ended: lost, preempted, or the job is terminal), which changes nothing.
 */
function reportedAttempt(job: JobRecord, report: AttemptStatusReport): AttemptRecord | undefined {
  const attempt = currentAttempt(job);
  const stale = !attempt || attempt.attempt !== report.attempt || attempt.endTime !== undefined;
  return stale || terminalStates.has(job.status) ? undefined : attempt;
}

/**
 * A node reported a phase of the current attempt. Stale reports (another attempt, or a job
 * already terminal) change nothing. A failed attempt is retried while attempts remain.
 */
export function applyAttemptReport(
  job: JobRecord,
  report: AttemptStatusReport,
  now: Date,
): JobRecord | undefined {
  const attempt = reportedAttempt(job, report);
  if (!attempt) return undefined;
  const withCheckpoint = report.checkpointSnapshotId
    ? { ...job, checkpointSnapshotId: report.checkpointSnapshotId }
    : job;
  // Stopped during a preemption (however the node words it): resume elsewhere, whatever the exit.
  const stoppedByPreemption =
    job.preemptRequested !== undefined && (report.phase === 'Canceled' || report.phase === 'Failed');
  if (report.phase === 'Preempted' || stoppedByPreemption)
    return preemptAttempt(
      withCheckpoint,
      report.message ?? job.preemptRequested?.reason ?? 'its node was preempted',
      now,
    );
  return applyPhase(withCheckpoint, attempt, report, now);
}

function applyPhase(
  job: JobRecord,
  attempt: AttemptRecord,
  report: AttemptStatusReport,
  now: Date,
): JobRecord | undefined {
  const state = phaseState[report.phase];
  if (!terminalStates.has(state)) {
    const shown: JobState = job.cancelRequested ? 'CancelRequested' : state;
    if (job.status === shown && attempt.status === state) return undefined;
    const startTime = state === 'Running' ? (job.startTime ?? report.at) : job.startTime;
    return bump(
      job,
      {
        status: shown,
        reason: undefined,
        startTime,
        attempts: withAttempt(job, { status: state, startTime: attempt.startTime ?? report.at }),
      },
      now,
    );
  }
  const ended = withAttempt(job, {
    status: state,
    endTime: report.at,
    exitCode: report.exitCode,
    reason: report.message,
  });
  if (state === 'Failed' && !job.cancelRequested && countedAttempts(job) < job.run.maxAttempts) {
    return requeue(
      { ...job, attempts: ended },
      `attempt ${attempt.attempt} failed (${report.message ?? `exit code ${report.exitCode ?? '?'}`}); retrying`,
      now,
    );
  }
  const error =
    state === 'Completed'
      ? undefined
      : {
          code: state === 'Canceled' ? 'JobCanceled' : 'JobFailed',
          message: report.message ?? `exit code ${report.exitCode ?? '?'}`,
        };
  return bump(
    job,
    {
      status: state,
      attempts: ended,
      exitCode: report.exitCode,
      error,
      reason: state === 'Completed' ? undefined : report.message,
      endTime: report.at,
      nodeId: undefined,
    },
    now,
  );
}

/** Back to the queue for a fresh attempt. */
function requeue(job: JobRecord, reason: string, now: Date): JobRecord {
  return bump(
    job,
    { status: 'Queued', nodeId: undefined, delivered: false, preemptRequested: undefined, reason },
    now,
  );
}

/** Ends a job that is not on a node (or whose node is gone) without asking a node. */
export function finishWithoutNode(
  job: JobRecord,
  state: 'Failed' | 'Canceled',
  message: string,
  now: Date,
): JobRecord {
  const at = now.toISOString();
  const attempts = withAttempt(job, { status: state, endTime: at, reason: message });
  return bump(
    job,
    {
      status: state,
      attempts,
      reason: message,
      error: { code: state === 'Canceled' ? 'JobCanceled' : 'JobFailed', message },
      endTime: at,
      nodeId: undefined,
    },
    now,
  );
}

/** A cancel request: queued jobs end at once; jobs on a node wait for the node to stop them. */
export function requestCancel(job: JobRecord, now: Date): JobRecord | undefined {
  if (terminalStates.has(job.status) || job.cancelRequested) return undefined;
  if (!job.nodeId) return finishWithoutNode(job, 'Canceled', 'canceled before it started', now);
  return bump(
    job,
    { cancelRequested: true, status: 'CancelRequested', reason: 'cancel requested; the node is stopping it' },
    now,
  );
}

/** Its node stopped heartbeating: the job may well still run, so it is not failed. */
export function markNotResponding(job: JobRecord, reason: string, now: Date): JobRecord | undefined {
  if (terminalStates.has(job.status) || job.status === 'NotResponding') return undefined;
  return bump(job, { status: 'NotResponding', reason }, now);
}

/** Its node came back and still runs the attempt: restore the attempt's own state. */
export function reattach(job: JobRecord, now: Date): JobRecord | undefined {
  if (job.status !== 'NotResponding') return undefined;
  const attempt = currentAttempt(job);
  const state: JobState = job.cancelRequested ? 'CancelRequested' : (attempt?.status ?? 'Running');
  return bump(job, { status: state === 'Queued' ? 'Preparing' : state, reason: undefined }, now);
}

/** Its node is lost (or dropped the attempt): retry while attempts remain, else fail with the reason. */
export function loseAttempt(job: JobRecord, reason: string, now: Date): JobRecord | undefined {
  if (terminalStates.has(job.status)) return undefined;
  if (job.cancelRequested) return finishWithoutNode(job, 'Canceled', `canceled; ${reason}`, now);
  const ended = {
    ...job,
    attempts: withAttempt(job, { status: 'Failed', endTime: now.toISOString(), reason }),
  };
  if (countedAttempts(job) < job.run.maxAttempts)
    return requeue(
      ended,
      `${reason}; retrying (attempt ${countedAttempts(job) + 1} of ${job.run.maxAttempts})`,
      now,
    );
  return finishWithoutNode(ended, 'Failed', reason, now);
}

/** How a lost or released node's unfinished attempt ends: resumed when it was being preempted, else retried or failed. */
export function settleReleasedAttempt(job: JobRecord, reason: string, now: Date): JobRecord | undefined {
  return job.preemptRequested ? preemptAttempt(job, reason, now) : loseAttempt(job, reason, now);
}

/**
 * The agent of a node being released stopped the attempt (it acknowledged the kill): the node is
 * fenced for this attempt, which now ends as a lost one. Reports of other attempts change nothing.
 */
export function fencedAttemptStopped(
  job: JobRecord,
  report: AttemptStatusReport,
  reason: string,
  now: Date,
): JobRecord | undefined {
  return reportedAttempt(job, report) ? settleReleasedAttempt(job, reason, now) : undefined;
}

/** Its node is being preempted: the node is told to stop it (SIGTERM, grace) so it can checkpoint. */
export function requestPreemption(
  job: JobRecord,
  reason: string,
  deadline: Date,
  now: Date,
): JobRecord | undefined {
  if (terminalStates.has(job.status) || job.preemptRequested || !job.nodeId) return undefined;
  return bump(
    job,
    {
      preemptRequested: { reason, deadline: deadline.toISOString() },
      reason: `${reason}; stopping it by ${deadline.toISOString()} to resume on another node`,
    },
    now,
  );
}

/**
 * The attempt ended by preemption: back to the queue under the same job, not counted against
 * retry_settings; the next attempt starts from the checkpoint folder this one left.
 */
export function preemptAttempt(job: JobRecord, reason: string, now: Date): JobRecord | undefined {
  if (terminalStates.has(job.status)) return undefined;
  if (job.cancelRequested) return finishWithoutNode(job, 'Canceled', `canceled; ${reason}`, now);
  const attempts = withAttempt(job, {
    status: 'Failed',
    endTime: now.toISOString(),
    reason: `preempted: ${reason}`,
    preempted: true,
  });
  return requeue(
    { ...job, attempts, preemptRequested: undefined },
    `attempt ${job.attempts.length} was preempted (${reason}); waiting to resume${job.checkpointSnapshotId ? ' from its checkpoint' : ''}`,
    now,
  );
}
