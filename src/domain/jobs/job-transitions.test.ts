import { describe, expect, it } from 'vitest';
import type { AttemptStatusReport } from '../nodes/agent-protocol.js';
import {
  applyAttemptReport,
  assignJob,
  fencedAttemptStopped,
  loseAttempt,
  markNotResponding,
  preemptAttempt,
  reattach,
  requestCancel,
  requestPreemption,
  refreshWaitReason,
  setWaitReason,
  settleReleasedAttempt,
  waitCountsRefreshMs,
} from './job-transitions.js';
import { queuedJob } from './test-jobs.js';

const now = new Date('2026-01-01T00:01:00.000Z');
const report = (
  phase: AttemptStatusReport['phase'],
  extra: Partial<AttemptStatusReport> = {},
): AttemptStatusReport => ({ attempt: 1, phase, at: now.toISOString(), ...extra });
const onNode = () => ({ ...assignJob(queuedJob(), { id: 'n1', name: 'n1' }, now), delivered: true });

describe('job transitions', () => {
  it('assigning starts attempt 1 on the node, not yet delivered', () => {
    const j = assignJob(queuedJob(), { id: 'n1', name: 'n1' }, now);
    // The version is the store's to bump when the job is written; a transition leaves it as read.
    expect(j).toMatchObject({ nodeId: 'n1', delivered: false, version: 1, modifiedAt: now.toISOString() });
    expect(j.attempts).toEqual([{ attempt: 1, nodeId: 'n1', nodeName: 'n1', status: 'Queued' }]);
  });

  it('walks Preparing → Running → Completed with times and exit code', () => {
    let j = onNode();
    j = applyAttemptReport(j, report('Preparing'), now) ?? j;
    expect(j.status).toBe('Preparing');
    j = applyAttemptReport(j, report('Running'), now) ?? j;
    expect(j).toMatchObject({ status: 'Running', startTime: now.toISOString() });
    j = applyAttemptReport(j, report('Completed', { exitCode: 0 }), now) ?? j;
    expect(j).toMatchObject({
      status: 'Completed',
      exitCode: 0,
      endTime: now.toISOString(),
      nodeId: undefined,
      error: undefined,
    });
    expect(j.attempts[0]?.status).toBe('Completed');
  });

  it('a failed attempt fails the job with the message when no attempts remain', () => {
    const j = applyAttemptReport(onNode(), report('Failed', { exitCode: 3, message: 'exit code 3' }), now);
    expect(j).toMatchObject({
      status: 'Failed',
      exitCode: 3,
      error: { code: 'JobFailed', message: 'exit code 3' },
    });
  });

  it('a failed attempt is retried while attempts remain', () => {
    const base = onNode();
    const j = applyAttemptReport(
      { ...base, run: { ...base.run, maxAttempts: 2 } },
      report('Failed', { exitCode: 1, message: 'boom' }),
      now,
    );
    expect(j).toMatchObject({ status: 'Queued', nodeId: undefined, delivered: false });
    expect(j?.reason).toContain('retrying');
    expect(j?.attempts[0]).toMatchObject({ status: 'Failed', exitCode: 1 });
  });

  it('ignores stale reports (other attempt, terminal job) and repeats', () => {
    expect(applyAttemptReport(onNode(), { ...report('Running'), attempt: 2 }, now)).toBeUndefined();
    const done = applyAttemptReport(onNode(), report('Completed', { exitCode: 0 }), now);
    expect(done && applyAttemptReport(done, report('Failed'), now)).toBeUndefined();
    const running = applyAttemptReport(onNode(), report('Running'), now);
    expect(running && applyAttemptReport(running, report('Running'), now)).toBeUndefined();
  });

  it('cancel: queued ends at once; on a node becomes CancelRequested until the node reports', () => {
    expect(requestCancel(queuedJob(), now)).toMatchObject({
      status: 'Canceled',
      error: { code: 'JobCanceled' },
    });
    const asked = requestCancel(onNode(), now);
    expect(asked).toMatchObject({ status: 'CancelRequested', cancelRequested: true });
    const running = asked && applyAttemptReport(asked, report('Running'), now);
    expect(running?.status).toBe('CancelRequested');
    expect(asked && applyAttemptReport(asked, report('Canceled'), now)).toMatchObject({ status: 'Canceled' });
    expect(requestCancel({ ...queuedJob(), status: 'Completed' }, now)).toBeUndefined();
  });

  it('an attempt stopped by a released node ends as lost: retried, or resumed when it was being preempted', () => {
    const base = onNode();
    const running = applyAttemptReport(
      { ...base, run: { ...base.run, maxAttempts: 2 } },
      report('Running'),
      now,
    );
    const lost = running && fencedAttemptStopped(running, report('Canceled'), 'node n1 was released', now);
    expect(lost).toMatchObject({ status: 'Queued', nodeId: undefined });
    expect(lost?.attempts[0]).toMatchObject({ status: 'Failed', reason: 'node n1 was released' });
    // Another attempt's report, or an attempt already ended, changes nothing.
    expect(
      running && fencedAttemptStopped(running, { ...report('Canceled'), attempt: 2 }, 'x', now),
    ).toBeUndefined();
    expect(lost && fencedAttemptStopped(lost, report('Canceled'), 'x', now)).toBeUndefined();
    const preempting = running && requestPreemption(running, 'spot reclaimed', now, now);
    const resumed = preempting && settleReleasedAttempt(preempting, 'node n1 was released', now);
    expect(resumed?.attempts[0]).toMatchObject({ preempted: true });
  });

  it('not responding keeps the job alive and re-attaches to its attempt state', () => {
    const running = applyAttemptReport(onNode(), report('Running'), now);
    const silent = running && markNotResponding(running, 'node n1 stopped heartbeating', now);
    expect(silent).toMatchObject({ status: 'NotResponding', reason: 'node n1 stopped heartbeating' });
    expect(silent && reattach(silent, now)).toMatchObject({ status: 'Running', reason: undefined });
    expect(running && reattach(running, now)).toBeUndefined();
  });

  it('a lost node retries or fails the job with the reason', () => {
    const running = applyAttemptReport(onNode(), report('Running'), now);
    expect(running && loseAttempt(running, 'node n1 was lost', now)).toMatchObject({
      status: 'Failed',
      reason: 'node n1 was lost',
      error: { message: 'node n1 was lost' },
    });
    const retry =
      running &&
      loseAttempt({ ...running, run: { ...running.run, maxAttempts: 3 } }, 'node n1 was lost', now);
    expect(retry).toMatchObject({ status: 'Queued', nodeId: undefined });
    expect(retry?.reason).toContain('attempt 2 of 3');
  });

  it('wait reasons are written only when they change', () => {
    const j = queuedJob({ reason: 'waiting for a free slot on x (1/1 busy)' });
    expect(setWaitReason(j, 'waiting for a free slot on x (1/1 busy)', now)).toBeUndefined();
    expect(setWaitReason(j, 'compute x is Stopped', now)?.reason).toBe('compute x is Stopped');
  });

  it('wait reasons whose counts alone changed are rewritten only once they are old enough', () => {
    const j = queuedJob({ reason: 'waiting for a free slot on x (1/1 busy)', modifiedAt: now.toISOString() });
    const soon = new Date(now.getTime() + waitCountsRefreshMs - 1);
    const later = new Date(now.getTime() + waitCountsRefreshMs);
    expect(refreshWaitReason(j, 'waiting for a free slot on x (1/1 busy)', later)).toBeUndefined();
    expect(refreshWaitReason(j, 'waiting for a free slot on x (2/2 busy)', soon)).toBeUndefined();
    expect(refreshWaitReason(j, 'waiting for a free slot on x (2/2 busy)', later)?.reason).toBe(
      'waiting for a free slot on x (2/2 busy)',
    );
    // Another kind of wait is written at once.
    expect(refreshWaitReason(j, 'waiting for 2 node(s) of x to start', soon)?.reason).toBe(
      'waiting for 2 node(s) of x to start',
    );
    expect(refreshWaitReason(queuedJob({}), 'waiting for 1 node(s) of x to start', soon)?.reason).toBe(
      'waiting for 1 node(s) of x to start',
    );
  });

  it('preemption: the node is asked to stop the job, which returns to the queue without using a retry', () => {
    const deadline = new Date(now.getTime() + 10_000);
    const asked = requestPreemption(onNode(), 'spot reclaimed', deadline, now);
    expect(asked).toMatchObject({
      preemptRequested: { reason: 'spot reclaimed', deadline: deadline.toISOString() },
    });
    if (!asked) return;
    expect(requestPreemption(asked, 'again', deadline, now)).toBeUndefined();
    // However the node words the stop, the attempt counts as preempted, and its checkpoint is kept.
    const back = applyAttemptReport(asked, report('Canceled', { checkpointSnapshotId: 'ck1' }), now);
    expect(back).toMatchObject({
      status: 'Queued',
      nodeId: undefined,
      delivered: false,
      checkpointSnapshotId: 'ck1',
      preemptRequested: undefined,
    });
    expect(back?.attempts[0]).toMatchObject({ preempted: true, reason: 'preempted: spot reclaimed' });
    // maxAttempts is 1, yet the job may run again: preempted attempts do not count.
    if (!back) return;
    const second = { ...assignJob(back, { id: 'n2', name: 'n2' }, now), delivered: true };
    const failed = applyAttemptReport(second, { ...report('Failed', { exitCode: 1 }), attempt: 2 }, now);
    expect(failed?.status).toBe('Failed');
  });

  it('late reports of an ended attempt change nothing; a canceled job stays canceled on preemption', () => {
    const back = preemptAttempt(onNode(), 'spot reclaimed', now);
    expect(back?.status).toBe('Queued');
    if (!back) return;
    expect(applyAttemptReport(back, report('Running'), now)).toBeUndefined();
    const canceling = { ...onNode(), cancelRequested: true };
    expect(preemptAttempt(canceling, 'spot reclaimed', now)?.status).toBe('Canceled');
  });
});
