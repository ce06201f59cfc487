import { performance } from 'node:perf_hooks';

/** Time source for the domain and loops; tests inject a fake one. */
export interface Clock {
  /** Wall-clock time (schedules, idle time, timestamps). */
  now(): Date;
  /** Monotonic milliseconds for measuring silence (heartbeats); unaffected by wall-clock jumps. */
  elapsedMs(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => new Date(), elapsedMs: () => performance.now() };

/**
 * The wall clock plus an offset that only moves forward when told (`shift`): lets an end-to-end
 * test jump past a 15-minute idle limit or a scheduled stop while heartbeats keep real time.
 */
export class ShiftableClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  elapsedMs(): number {
    return performance.now();
  }
  shift(ms: number): void {
    this.offsetMs += ms;
  }
}

/** A clock that moves only when told to: for unit tests of time-based decisions. */
export class FakeClock implements Clock {
  private ms: number;
  private elapsed = 0;
  constructor(start: Date | string = '2026-01-01T00:00:00Z') {
    this.ms = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.ms);
  }
  elapsedMs(): number {
    return this.elapsed;
  }
  advance(ms: number): void {
    this.ms += ms;
    this.elapsed += ms;
  }
  set(at: Date | string): void {
    this.ms = new Date(at).getTime();
  }
}
