import { EventEmitter } from 'node:events';

/** A long poll's ear for work assigned to its node (see Signals.watchNodeWork). */
export interface NodeWorkWatch {
  wait(ms: number, signal?: AbortSignal): Promise<void>;
  stop(): void;
}

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

  /**
   * Listens for `nodeWork(nodeId)` from now on: a long poll starts listening before it looks in
   * the store, so work assigned while it looks still wakes it. `wait` resolves at once when the
   * signal came since, else when it comes, after `ms`, or on abort; `stop` stops listening.
   */
  watchNodeWork(nodeId: string): NodeWorkWatch {
    const event = `node:${nodeId}`;
    let fired = false;
    let wake: (() => void) | undefined;
    const listener = (): void => {
      fired = true;
      wake?.();
    };
    this.emitter.on(event, listener);
    return {
      wait: (ms, signal) =>
        fired || signal?.aborted
          ? Promise.resolve()
          : new Promise((resolve) => {
              const done = (): void => {
                clearTimeout(timer);
                signal?.removeEventListener('abort', done);
                wake = undefined;
                resolve();
              };
              const timer = setTimeout(done, ms);
              wake = done;
              signal?.addEventListener('abort', done, { once: true });
            }),
      stop: () => {
        this.emitter.off(event, listener);
        wake?.();
      },
    };
  }

  /** Calls `listener` whenever the job changes, until the returned function is called. */
  onJobChanged(jobKey: string, listener: () => void): () => void {
    this.emitter.on(`job:${jobKey}`, listener);
    return () => this.emitter.off(`job:${jobKey}`, listener);
  }
}
