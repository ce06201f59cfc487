import type { Clock } from '../../domain/clock.js';
import type { Logger } from '../logging/logger.js';

/** How soon (ms) a key wants to be looked at again, when sooner than the interval; nothing: at the interval. */
export type Requeue = number | undefined | void;

/**
 * What a loop does, as data (controller-runtime style): each pass reads a snapshot once, lists the
 * keys it covers (a compute, a node, the job queue…) and reconciles each key on its own. A key that
 * fails is logged with its name and backs off alone; the other keys are reconciled as usual.
 *
 * Reconciling a key compares desired with observed state through a pure decision and acts
 * idempotently, so a key is safe to retry and a restart simply starts the passes again.
 */
export interface LoopDefinition<S, K> {
  readonly name: string;
  /** A pass runs this often when nothing wakes the loop sooner. */
  readonly intervalMs: number;
  /**
   * Everything a pass reads, fetched once (a pass costs a few queries, not a few per key). The
   * loop's own bookkeeping (heartbeats seen, when a backend last refused) is brought up to date here.
   */
  read(): Promise<S>;
  /** The keys of this pass, in the order they are reconciled. */
  keys(snapshot: S): readonly K[];
  /** A key's identity for its backoff and in logs (`compute/default/gpu`), stable across passes. */
  keyOf(key: K): string;
  /** Reconciles one key; may answer how soon it wants another pass. */
  reconcile(key: K, snapshot: S): Promise<Requeue>;
  /** How long a failing key waits: `baseMs` doubled per failure in a row, at most `maxMs` (default: the interval, 60 s). */
  backoff?: { baseMs: number; maxMs: number };
}

/** What the server holds of a running loop. */
export interface Loop {
  readonly name: string;
  start(): void;
  /** Runs a pass soon (coalescing wake-ups that arrive while one runs). */
  wake(): void;
  /** Stops scheduling and waits for a running pass to end. */
  stop(): Promise<void>;
}

/** A key that failed: how many times in a row, and when (monotonic ms) it may be tried again. */
export interface KeyBackoff {
  failures: number;
  retryAtMs: number;
}

/** The wait after `failures` failures in a row: exponential from `baseMs`, capped at `maxMs`. */
export function backoffDelay(failures: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
}

/** When the next pass is due: at the interval, or sooner when a key asked for it (never negative). */
export function nextPassDelay(intervalMs: number, soonMs: number | undefined): number {
  return soonMs === undefined ? intervalMs : Math.min(intervalMs, Math.max(0, soonMs));
}

/** The key under which a pass that could not even read its snapshot backs off. */
export const readKey = '(read)';

/**
 * Which keys this server may reconcile now, when several servers (replicas) share one database:
 * each key is reconciled by exactly one of them at a time. A pass still reads its snapshot on
 * every replica (in-memory bookkeeping stays current, so a key can move at any pass).
 */
export interface KeyOwnership {
  /**
   * Set when this server is the only one (SQLite): every key is its own, so a pass claims nothing
   * (at 10,000 nodes each pass of a per-node loop would build a list and a set of every key).
   */
  readonly sole?: boolean;
  /**
   * Claims `keys` (ids from keyOf) of `loop` where free and answers those this server holds now;
   * keys of `loop` held before and not listed any more are released. Throws when it cannot tell
   * (database unreachable): the pass then reconciles nothing and backs off.
   */
  claim(loop: string, keys: readonly string[]): Promise<ReadonlySet<string>>;
}

/** One server alone (SQLite): every key is its own. */
export const alwaysOwned: KeyOwnership = {
  sole: true,
  claim: (_loop, keys) => Promise.resolve(new Set(keys)),
};

/** How long a wake-up waits for others to join it in one pass (ms): short beside a pass, long beside a request. */
const wakeCoalesceMs = 2;
/** The longest rest between a pass and the one a wake-up during it asked for (ms). */
const maxRestMs = 250;

/** Keys reconciled between two turns of the event loop (the store is synchronous: the HTTP server gets a turn). */
const keysPerTurn = 50;

/**
 * Runs one loop definition: a pass every interval, or sooner when woken or when a key asks; passes
 * never overlap. Each key's failures are its own (exponential backoff, capped, reset by a success);
 * a key still backing off is skipped by the passes until its time comes. All state is this
 * runner's: two servers in one process share nothing.
 */
export class LoopRunner<S, K> implements Loop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  /** A pass is due within wakeCoalesceMs (a wake-up is already on its way). */
  private wakeSoon = false;
  private stopped = false;
  private readonly failing = new Map<string, KeyBackoff>();
  /** Told how long each pass took (seconds): the server's /metrics latency histograms. */
  onPass: ((loop: string, seconds: number) => void) | undefined;

  constructor(
    private readonly definition: LoopDefinition<S, K>,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly ownership: KeyOwnership = alwaysOwned,
  ) {}

  get name(): string {
    return this.definition.name;
  }

  start(): void {
    this.stopped = false;
    this.wake();
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    // Wake-ups arriving together (a burst of submits, a node registering many jobs) share one pass:
    // a pass runs synchronously against SQLite, so one per wake-up would starve the HTTP server.
    if (this.wakeSoon) return;
    clearTimeout(this.timer);
    this.wakeSoon = true;
    this.timer = setTimeout(() => this.runPass(), wakeCoalesceMs);
  }

  private runPass(): void {
    this.wakeSoon = false;
    if (this.stopped || this.running) return;
    clearTimeout(this.timer);
    const started = performance.now();
    this.running = this.pass().then((soonMs) => {
      this.running = undefined;
      const tookMs = performance.now() - started;
      this.onPass?.(this.definition.name, tookMs / 1000);
      if (this.stopped) return;
      if (this.again) {
        // Woken while it ran: one more pass, after a rest as long as this one took (at most
        // maxRestMs), so a busy server spends at most about half its time in this loop.
        this.again = false;
        this.wakeSoon = true;
        this.timer = setTimeout(() => this.runPass(), Math.min(maxRestMs, Math.max(wakeCoalesceMs, tookMs)));
      } else {
        this.timer = setTimeout(() => this.wake(), nextPassDelay(this.definition.intervalMs, soonMs));
      }
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeSoon = false;
    clearTimeout(this.timer);
    await this.running;
  }

  /** The keys backing off now (for tests and diagnostics). */
  backingOff(): ReadonlyMap<string, KeyBackoff> {
    return new Map(this.failing);
  }

  /**
   * One pass; answers how soon (ms) the next one is due, when sooner than the interval. The
   * runner calls it itself; a test calls it directly instead of starting the loop. Never throws.
   */
  async pass(): Promise<number | undefined> {
    const def = this.definition;
    const waiting = this.waitFor(readKey);
    if (waiting !== undefined) return waiting;
    let snapshot: S;
    let keys: readonly K[];
    let owned: ReadonlySet<string> | undefined;
    try {
      snapshot = await def.read();
      keys = def.keys(snapshot);
      owned = this.ownership.sole
        ? undefined
        : await this.ownership.claim(
            def.name,
            keys.map((k) => def.keyOf(k)),
          );
      this.failing.delete(readKey);
    } catch (err) {
      return this.failed(readKey, err);
    }
    let soon: number | undefined;
    const sooner = (ms: number): void => void (soon = Math.min(soon ?? Infinity, Math.max(0, ms)));
    for (const [i, key] of keys.entries()) {
      const id = def.keyOf(key);
      // Another replica reconciles it (until that one stops: then a later pass claims it).
      if (owned && !owned.has(id)) continue;
      const wait = this.waitFor(id);
      if (wait !== undefined) {
        sooner(wait);
        continue;
      }
      try {
        const requeue = await def.reconcile(key, snapshot);
        this.failing.delete(id);
        if (typeof requeue === 'number') sooner(requeue);
      } catch (err) {
        sooner(this.failed(id, err));
      }
      if (i % keysPerTurn === keysPerTurn - 1) await new Promise((r) => setImmediate(r));
    }
    // A key that is gone (its compute deleted, its node released) leaves no backoff behind.
    if (this.failing.size > 0) {
      const present = new Set(keys.map((k) => def.keyOf(k)));
      for (const id of [...this.failing.keys()])
        if (id !== readKey && !present.has(id)) this.failing.delete(id);
    }
    return soon;
  }

  /** Milliseconds until a backing-off key may run again; undefined when it may run now. */
  private waitFor(id: string): number | undefined {
    const backoff = this.failing.get(id);
    if (!backoff) return undefined;
    const left = backoff.retryAtMs - this.clock.elapsedMs();
    return left > 0 ? left : undefined;
  }

  /** Records a failure of `id`, logs it with the key, and answers its backoff (ms). */
  private failed(id: string, err: unknown): number {
    const def = this.definition;
    const { baseMs, maxMs } = def.backoff ?? {
      baseMs: def.intervalMs,
      maxMs: Math.max(def.intervalMs, 60_000),
    };
    const failures = (this.failing.get(id)?.failures ?? 0) + 1;
    const delay = backoffDelay(failures, baseMs, maxMs);
    this.failing.set(id, { failures, retryAtMs: this.clock.elapsedMs() + delay });
    this.log.error(
      `${def.name}: ${id} failed (${failures} time(s) in a row); it is tried again in ${delay} ms, the other keys go on`,
      {
        loop: def.name,
        key: id,
        failures,
        retryInMs: delay,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      },
    );
    return delay;
  }
}
