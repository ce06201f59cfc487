import { HangarError } from '../../domain/errors/hangar-error.js';
import type { RouteDef } from './route-def.js';

/** The admission limits (config `admission`). */
export interface AdmissionLimits {
  /** Writes that run at once. */
  concurrentWrites: number;
  /** Writes that may wait for a turn; one more is refused with ServerBusy. */
  queuedWrites: number;
  /** Milliseconds writes may run back to back before the event loop gets a turn (reads, timers). */
  sliceMs: number;
}

/**
 * Whether a route's requests wait for a turn at the gate: the API's JSON writes. Reads, the agents'
 * protocol (leases wait for work; heartbeats must not be late) and routes that move bytes (an
 * upload's time is the client's, not the server's) never wait.
 */
export function admitted(route: RouteDef): boolean {
  return route.method !== 'get' && route.raw === undefined && !route.action.startsWith('Hangar/nodes/');
}

/**
 * A FIFO semaphore for mutating API calls that also shares the event loop out fairly. The store
 * answers synchronously, so a write runs to its end once started; without the gate every write that
 * arrived in one poll of the sockets ran right there, back to back, and a read (a health check, an
 * agent's heartbeat) that arrived meanwhile waited for the whole burst. Here writes wait in arrival
 * order, at most `concurrentWrites` run at once, and they start from the gate's own setImmediate:
 * one that ends hands its turn straight on while the current slice (`sliceMs`) lasts, after that
 * the next ones start in the next turn of the event loop, once the sockets have been read again.
 */
export class AdmissionGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** Index of the oldest waiter in `waiting` (shifting a long array per turn would be quadratic). */
  private head = 0;
  private drainDue = false;
  /** When the current slice began (performance.now()); undefined outside one. */
  private sliceStart: number | undefined;

  constructor(private readonly limits: AdmissionLimits) {}

  /** Writes running now, and waiting (for diagnostics and tests). */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length - this.head };
  }

  /**
   * Resolves, never before the current task ends, when the caller may run; it must call leave()
   * once done, whatever happened. Throws ServerBusy (503, Retry-After) when the queue is full: the
   * request is not run at all.
   */
  enter(): Promise<void> {
    const queued = this.waiting.length - this.head;
    if (queued >= this.limits.queuedWrites) {
      const busy = new HangarError(
        'ServerBusy',
        `The server has ${this.running} writes running and ${queued} waiting (admission.queuedWrites); retry in 1 s.`,
      );
      busy.retryAfterSeconds = 1;
      throw busy;
    }
    const turn = new Promise<void>((resolve) => this.waiting.push(resolve));
    this.scheduleDrain();
    return turn;
  }

  /** Ends a turn: the next waiter starts now while the slice lasts, else in a later turn of the event loop. */
  leave(): void {
    this.running = Math.max(0, this.running - 1);
    if (this.sliceStart !== undefined && performance.now() - this.sliceStart < this.limits.sliceMs)
      this.start();
    else this.sliceStart = undefined;
    this.scheduleDrain();
  }

  /** Runs `work` in a turn of its own (enter, then leave however it ends). */
  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.enter();
    try {
      return await work();
    } finally {
      this.leave();
    }
  }

  private scheduleDrain(): void {
    if (this.drainDue || this.head === this.waiting.length || this.running >= this.limits.concurrentWrites)
      return;
    this.drainDue = true;
    setImmediate(() => {
      this.drainDue = false;
      this.sliceStart = performance.now();
      this.start();
    });
  }

  /** Starts the oldest waiters while turns are free (they run once the current task's microtasks do). */
  private start(): void {
    while (this.running < this.limits.concurrentWrites && this.head < this.waiting.length) {
      const next = this.waiting[this.head];
      this.waiting[this.head++] = undefined as unknown as () => void;
      this.running++;
      next?.();
    }
    if (this.head === this.waiting.length) {
      this.waiting.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
  }
}
