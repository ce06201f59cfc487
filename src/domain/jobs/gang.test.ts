import { describe, expect, it } from 'vitest';
import { reflectGang } from './gang.js';
import type { JobRecord } from './job-record.js';
import { queuedJob } from './test-jobs.js';

const now = new Date('2026-01-01T00:02:00.000Z');
const distribution = { type: 'pytorch' as const, processCountPerInstance: 1 };
const parent = queuedJob({ name: 'big', gang: { size: 2, distribution } });
const rank = (i: number, changes: Partial<JobRecord>): JobRecord =>
  queuedJob({ name: `big_rank${i}`, gang: { size: 2, rank: i, parent: 'big', distribution }, ...changes });

describe('reflectGang', () => {
  it('is Running once every rank runs, Completed when all completed', () => {
    const running = reflectGang(
      parent,
      [rank(0, { status: 'Running', startTime: 't1' }), rank(1, { status: 'Running', startTime: 't0' })],
      now,
    );
    expect(running).toMatchObject({ status: 'Running', startTime: 't0' });
    if (!running) return;
    const done = reflectGang(
      running,
      [
        rank(0, { status: 'Completed', endTime: 'e1', outputsSnapshotId: 'out' }),
        rank(1, { status: 'Completed', endTime: 'e2' }),
      ],
      now,
    );
    expect(done).toMatchObject({ status: 'Completed', exitCode: 0, endTime: 'e2', outputsSnapshotId: 'out' });
  });

  it("waits with the ranks' reason, and changes nothing when nothing changed", () => {
    const waiting = rank(0, { reason: 'waiting for 2 free nodes of c at once (1 free now)' });
    const shown = reflectGang(parent, [waiting, rank(1, {})], now);
    expect(shown).toMatchObject({
      status: 'Queued',
      reason: 'waiting for 2 free nodes of c at once (1 free now)',
    });
    if (shown) expect(reflectGang(shown, [waiting, rank(1, {})], now)).toBeUndefined();
  });

  it('fails, naming the rank, once the others have stopped', () => {
    const failed = rank(1, {
      status: 'Failed',
      exitCode: 7,
      error: { code: 'JobFailed', message: 'exit code 7' },
    });
    expect(reflectGang(parent, [rank(0, { status: 'Running' }), failed], now)).toMatchObject({
      status: 'CancelRequested',
    });
    const ended = reflectGang(parent, [rank(0, { status: 'Canceled' }), failed], now);
    expect(ended).toMatchObject({
      status: 'Failed',
      exitCode: 7,
      error: { message: 'node rank 1 failed: exit code 7; the other ranks were stopped' },
    });
    expect(reflectGang(parent, [rank(0, { status: 'Running' }), undefined], now)?.status).toBe('Failed');
  });
});
