import { EventEmitter } from 'node:events';

/**
 * In-process wake-ups between the API, the loops and long-polling agents. Only a latency aid:
 * everything they signal is also in the store, so a lost signal costs one loop interval.
 */
export class Signals {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  /** Work was assigned to a node. */
  nodeWork(nodeId: string): void {
    this.emitter.emit(`node:${nodeId}`);
  }

  /** A job changed status (streams end on terminal states). */
  jobChanged(jobKey: string): void {
    this.emitter.emit(`job:${jobKey}`);
  }

  /** Resolves when `nodeWork(nodeId)` fires or after `ms` or on abort. */
  waitForNodeWork(nodeId: string, ms: number, signal?: AbortSignal): Promise<void> {
    return this.waitFor(`node:${nodeId}`, ms, signal);
  }

  /** Calls `listener` whenever the job changes, until the returned function is called. */
  onJobChanged(jobKey: string, listener: () => void): () => void {
    this.emitter.on(`job:${jobKey}`, listener);
    return () => this.emitter.off(`job:${jobKey}`, listener);
  }

  private waitFor(event: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.emitter.off(event, done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.emitter.once(event, done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
