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
    private readonly tick: () => Promise<void>,
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
    this.running = this.runOnce().finally(() => {
      this.running = undefined;
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        this.wake();
      } else {
        this.timer = setTimeout(() => this.wake(), this.intervalMs);
      }
    });
  }

  private async runOnce(): Promise<void> {
    try {
      await this.tick();
    } catch (err) {
      this.log.error(`${this.name} tick failed`, { error: (err as Error).stack ?? String(err) });
    }
  }

  /** Stops scheduling and waits for a running tick to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
