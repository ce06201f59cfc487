import { describe, expect, it } from 'vitest';
import { FakeClock } from '../clock.js';
import { decideArrival, freeSlots, hasFreeSlot, RequestQueue, timeoutCode } from './request-admission.js';

const arrival = (over: Partial<Parameters<typeof decideArrival>[0]> = {}) =>
  decideArrival({
    readyInFlight: [0],
    inFlight: 0,
    queued: 0,
    maxConcurrentPerInstance: 1,
    maxQueueWaitMs: 500,
    nowMs: 1000,
    ...over,
  });

describe('decideArrival', () => {
  it('dispatches while some ready replica has fewer than max_concurrent in flight', () => {
    expect(arrival()).toEqual({ kind: 'dispatch' });
    expect(arrival({ readyInFlight: [1, 0], inFlight: 1 })).toEqual({ kind: 'dispatch' });
    expect(arrival({ readyInFlight: [2], inFlight: 2, maxConcurrentPerInstance: 3 })).toEqual({
      kind: 'dispatch',
    });
  });

  it('queues past the per-replica concurrency, with a deadline max_queue_wait_ms from now', () => {
    expect(arrival({ readyInFlight: [1], inFlight: 1, nowMs: 5000, maxQueueWaitMs: 750 })).toEqual({
      kind: 'queue',
      deadlineMs: 5750,
    });
  });

  it('keeps FIFO order: with someone already waiting a newcomer queues even if a slot looks free', () => {
    expect(arrival({ readyInFlight: [0, 1], inFlight: 1, queued: 1 })).toMatchObject({ kind: 'queue' });
  });

  it("refuses at once past Azure's 2 × max_concurrent × instances pending (in flight + queued)", () => {
    const r = arrival({ readyInFlight: [1], inFlight: 1, queued: 1 });
    expect(r.kind).toBe('reject');
    expect(r.kind === 'reject' && r.reason).toContain('= 2');
    expect(arrival({ readyInFlight: [2, 2], inFlight: 4, queued: 3, maxConcurrentPerInstance: 2 }).kind).toBe(
      'queue',
    );
    expect(arrival({ readyInFlight: [2, 2], inFlight: 4, queued: 4, maxConcurrentPerInstance: 2 }).kind).toBe(
      'reject',
    );
  });

  it('refuses instead of queueing when max_queue_wait_ms is 0, or when no replica is ready', () => {
    const r = arrival({ readyInFlight: [1], inFlight: 1, maxQueueWaitMs: 0 });
    expect(r.kind === 'reject' && r.reason).toContain('max_queue_wait_ms is 0');
    expect(arrival({ readyInFlight: [], inFlight: 0 }).kind).toBe('reject');
  });
});

describe('RequestQueue (fake clock)', () => {
  it('hands free slots to the oldest waiters first', () => {
    const clock = new FakeClock();
    const q = new RequestQueue<string>();
    q.push('a', clock.elapsedMs() + 500);
    clock.advance(10);
    q.push('b', clock.elapsedMs() + 500);
    q.push('c', clock.elapsedMs() + 500);
    clock.advance(100);
    expect(q.release(clock.elapsedMs(), 2)).toEqual({ dispatch: ['a', 'b'], expired: [] });
    expect(q.size).toBe(1);
    expect(q.release(clock.elapsedMs(), 0)).toEqual({ dispatch: [], expired: [] });
    expect(q.size).toBe(1);
  });

  it('refuses waiters whose max_queue_wait_ms passed without a free slot, and only those', () => {
    const clock = new FakeClock();
    const q = new RequestQueue<string>();
    q.push('early', clock.elapsedMs() + 500);
    clock.advance(300);
    q.push('late', clock.elapsedMs() + 500);
    expect(q.nextDeadlineMs()).toBe(500);
    clock.advance(200);
    expect(q.release(clock.elapsedMs(), 0)).toEqual({ dispatch: [], expired: ['early'] });
    expect(q.nextDeadlineMs()).toBe(800);
    clock.advance(299);
    expect(q.release(clock.elapsedMs(), 0)).toEqual({ dispatch: [], expired: [] });
    clock.advance(1);
    expect(q.release(clock.elapsedMs(), 0)).toEqual({ dispatch: [], expired: ['late'] });
    expect(q.nextDeadlineMs()).toBeUndefined();
  });

  it('a slot free exactly at the deadline is still given; one past it is not', () => {
    const clock = new FakeClock();
    const q = new RequestQueue<string>();
    q.push('on-time', 500);
    q.push('over', 400);
    clock.advance(500);
    expect(q.release(clock.elapsedMs(), 2)).toEqual({ dispatch: ['on-time'], expired: ['over'] });
  });

  it('forgets a waiter whose caller went away', () => {
    const q = new RequestQueue<string>();
    q.push('x', 100);
    expect(q.remove('x')).toBe(true);
    expect(q.remove('x')).toBe(false);
    expect(q.size).toBe(0);
  });
});

describe('slots and timeouts', () => {
  it('counts free slots per ready replica', () => {
    expect(freeSlots([0, 1, 3], 2)).toBe(3);
    expect(hasFreeSlot([2, 2], 2)).toBe(false);
    expect(hasFreeSlot([2, 1], 2)).toBe(true);
  });

  it('a timeout is 408 on managed deployments and 504 on Kubernetes ones', () => {
    expect(timeoutCode('managed')).toBe('ScoringTimeout');
    expect(timeoutCode('kubernetes')).toBe('ScoringGatewayTimeout');
  });
});
