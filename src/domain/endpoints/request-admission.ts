/**
 * The router's per-deployment request gate, as pure decisions on numbers and a caller's clock:
 * a request runs on a ready replica with fewer than `max_concurrent_requests_per_instance` in
 * flight; past that it waits in a FIFO queue for at most `max_queue_wait_ms`; more than Azure's
 * 2 × max_concurrent × instances pending (in flight + queued) is refused at once.
 */
import { admissionLimit } from './traffic.js';

/** What the gate does with one arriving request. */
export type Arrival =
  { kind: 'dispatch' } | { kind: 'queue'; deadlineMs: number } | { kind: 'reject'; reason: string };

export interface ArrivalInput {
  /** Requests in flight on each ready replica of the serving generation. */
  readyInFlight: readonly number[];
  /** Requests in flight on the deployment (not-ready replicas' included) and waiting in its queue. */
  inFlight: number;
  queued: number;
  maxConcurrentPerInstance: number;
  maxQueueWaitMs: number;
  nowMs: number;
  /**
   * The deployment scales to zero (Hangar's opt-in): with no ready replica a request is held
   * while one starts, within the admission limit of one instance, instead of refused.
   */
  scaleFromZero?: boolean;
}

/** Whether some ready replica has a free slot (fewer than max_concurrent in flight). */
export function hasFreeSlot(readyInFlight: readonly number[], maxConcurrentPerInstance: number): boolean {
  return readyInFlight.some((n) => n < maxConcurrentPerInstance);
}

/** Dispatch, queue or refuse one arriving request; queued requests keep their order (FIFO). */
export function decideArrival(i: ArrivalInput): Arrival {
  if (i.queued === 0 && hasFreeSlot(i.readyInFlight, i.maxConcurrentPerInstance)) return { kind: 'dispatch' };
  const cold = i.scaleFromZero === true && i.readyInFlight.length === 0;
  // Cold, the replica being started counts as one instance for Azure's rule.
  const instances = cold ? 1 : i.readyInFlight.length;
  const limit = admissionLimit(i.maxConcurrentPerInstance, instances);
  if (i.inFlight + i.queued >= limit)
    return {
      kind: 'reject',
      reason: `${i.inFlight} in flight and ${i.queued} queued; the limit is 2 × max_concurrent_requests_per_instance (${i.maxConcurrentPerInstance}) × ${instances} ${cold ? 'starting' : 'ready'} instance(s) = ${limit}`,
    };
  if (i.maxQueueWaitMs <= 0)
    return {
      kind: 'reject',
      reason: cold
        ? 'the deployment is scaled to zero and max_queue_wait_ms is 0, so no request waits for the replica that is starting'
        : `every replica has max_concurrent_requests_per_instance (${i.maxConcurrentPerInstance}) in flight and max_queue_wait_ms is 0`,
    };
  return { kind: 'queue', deadlineMs: i.nowMs + i.maxQueueWaitMs };
}

interface Entry<T> {
  item: T;
  deadlineMs: number;
}

/**
 * The queue of one deployment: FIFO, each entry with its deadline. `release` is what happens when
 * a slot may have freed (a request ended, a replica became ready, a deadline passed): expired
 * entries are refused and as many heads as there are free slots are dispatched, in order.
 */
export class RequestQueue<T> {
  private entries: Entry<T>[] = [];

  get size(): number {
    return this.entries.length;
  }

  push(item: T, deadlineMs: number): void {
    this.entries.push({ item, deadlineMs });
  }

  /** The earliest deadline still waiting (for the caller's timer), undefined when empty. */
  nextDeadlineMs(): number | undefined {
    let min: number | undefined;
    for (const e of this.entries) if (min === undefined || e.deadlineMs < min) min = e.deadlineMs;
    return min;
  }

  /** Removes an entry (its caller went away); true when it was waiting. */
  remove(item: T): boolean {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.item !== item);
    return this.entries.length !== before;
  }

  /**
   * Entries to dispatch (at most `freeSlots`, oldest first) and entries whose wait is over. A
   * request at its deadline still gets a slot that is free then: a wait of exactly
   * max_queue_wait_ms is within the limit.
   */
  release(nowMs: number, freeSlots: number): { dispatch: T[]; expired: T[] } {
    const late = this.entries.filter((e) => e.deadlineMs < nowMs).map((e) => e.item);
    this.entries = this.entries.filter((e) => e.deadlineMs >= nowMs);
    const dispatch = this.entries.splice(0, Math.max(0, freeSlots)).map((e) => e.item);
    const due = this.entries.filter((e) => e.deadlineMs <= nowMs).map((e) => e.item);
    this.entries = this.entries.filter((e) => e.deadlineMs > nowMs);
    return { dispatch, expired: [...late, ...due] };
  }
}

/** Free slots across ready replicas: what `release` may hand out. */
export function freeSlots(readyInFlight: readonly number[], maxConcurrentPerInstance: number): number {
  return readyInFlight.reduce((a, n) => a + Math.max(0, maxConcurrentPerInstance - n), 0);
}

/**
 * The status a request that ran past `request_timeout_ms` gets: 408 on managed endpoints, 504 on
 * Kubernetes ones (azureml-fe's gateway timeout), as Azure documents.
 */
export function timeoutCode(type: 'managed' | 'kubernetes'): 'ScoringTimeout' | 'ScoringGatewayTimeout' {
  return type === 'kubernetes' ? 'ScoringGatewayTimeout' : 'ScoringTimeout';
}
