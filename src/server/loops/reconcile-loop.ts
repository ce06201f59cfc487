import type { Logger } from '../logging/logger.js';

/**
 * Runs `tick` every `intervalMs`, or sooner when woken; ticks never overlap and an error in one
 * tick is logged, not fatal. Each tick compares desired with observed state and acts idempotently,
 * so a restart simply starts ticking again.
 */
export class ReconcileLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    readonly name: string,
    /** One pass; it may answer how soon (ms) it wants the next one, if sooner than the interval. */
    private readonly tick: () => Promise<number | void>,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** Runs a tick soon (coalescing wake-ups that arrive while one runs). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.runOnce().then((soonMs) => {
      this.running = undefined;
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        this.wake();
      } else {
        const delay = soonMs === undefined ? this.intervalMs : Math.min(this.intervalMs, Math.max(0, soonMs));
        this.timer = setTimeout(() => this.wake(), delay);
      }
    });
  }

  private async runOnce(): Promise<number | undefined> {
    try {
      const soon = await this.tick();
      return typeof soon === 'number' ? soon : undefined;
    } catch (err) {
      this.log.error(`${this.name} tick failed`, { error: (err as Error).stack ?? String(err) });
      return undefined;
    }
  }

  /** Stops scheduling and waits for a running tick to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
