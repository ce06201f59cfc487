import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { decideArrival, freeSlots, RequestQueue } from '../../domain/endpoints/request-admission.js';
import { coldRetryAfterSeconds } from '../../domain/endpoints/scale-to-zero.js';
import type { LocalReplicaHost, ReplicaProcess } from '../../providers/local/local-replicas.js';

/** One replica as the serving loop sees it. */
export interface Replica {
  proc: ReplicaProcess;
  generation: number;
  /** Monotonic ms when it was started, and when it was probed last. */
  startedMs: number;
  lastProbeMs?: number;
  /** Readiness: true after a probe succeeded; liveness failures in a row since. */
  ready: boolean;
  everReady: boolean;
  failures: number;
  /** The last probe's answer, for the deployment's reason when it cannot become ready. */
  lastAnswer?: string;
  /** The last probe found no port yet (init() running): the port opening is probed at once. */
  portClosed?: boolean;
  inFlight: number;
}

/** A request waiting for a free replica: given one, or refused with why. */
interface Waiter {
  settle: (got: Acquired) => void;
}

/** What `acquire` answers: a replica whose slot is held for the caller, or a refusal. */
export type Acquired =
  | { kind: 'replica'; replica: Replica }
  | {
      kind: 'reject';
      reason: string;
      target?: string;
      retryAfterSeconds?: number;
      /** No replica will serve it (the generation failed to start): not a 429 but 503. */
      unavailable?: boolean;
    };

/** The gate's settings for one deployment: its serving generation and request_settings. */
export interface GateSettings {
  generation: number;
  maxConcurrentPerInstance: number;
  maxQueueWaitMs: number;
  /** Scale to zero (opt-in): with no ready replica requests are held while one starts. */
  scaleFromZero?: boolean;
  /** How long a cold start is expected to take (ms), for Retry-After. */
  expectedColdStartMs?: number;
}

/** What the router and the loop share about one deployment (by deployment id). */
export interface DeploymentReplicas {
  replicas: Replica[];
  /** Requests in flight (admission), and waiting for a replica (`waiting.size`, kept for autoscale). */
  inFlight: number;
  queued: number;
  waiting: RequestQueue<Waiter>;
  gate?: GateSettings;
  timer?: NodeJS.Timeout;
  /** The autoscaler's current answer and its bookkeeping. */
  autoscaleDesired?: number;
  belowSinceMs?: number;
  lastAutoscaleMs?: number;
  /** When (performance.now()) a held request asked a deployment with no ready replica to start one. */
  coldSinceMs?: number;
  /** The last cold start measured: from that request to a ready replica (ms). */
  lastColdStartMs?: number;
  /** Requests answered, failed, and their latencies (ms, a bounded window), for show and metrics. */
  requests: number;
  errors: number;
  latencies: number[];
}

/** Last lines of a file (the replica's log), at most `lines`. */
export function tailOf(path: string, lines: number): string {
  try {
    const text = readFileSync(path, 'utf8');
    const all = text.split('\n');
    if (all[all.length - 1] === '') all.pop();
    return all.slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * The workspace serving pool of this server: replicas per deployment (in memory: the processes
 * are this server's children), the counters the router keeps, and the host that runs them.
 */
export class ServingPool {
  private readonly byDeployment = new Map<string, DeploymentReplicas>();
  /** Logs of replicas that are gone, kept for get-logs and the Failed reason. */
  readonly lastLogs = new Map<string, string>();

  /** Called when what the router routes by changed (set by the endpoint service: its cache). */
  routesChanged: () => void = () => undefined;
  /** Called when a request waits on a deployment scaled to zero (set by the endpoint service: wakes the loop). */
  scaleUp: () => void = () => undefined;

  constructor(readonly host: LocalReplicaHost) {}

  of(deploymentId: string): DeploymentReplicas {
    let d = this.byDeployment.get(deploymentId);
    if (!d) {
      d = {
        replicas: [],
        inFlight: 0,
        queued: 0,
        waiting: new RequestQueue<Waiter>(),
        requests: 0,
        errors: 0,
        latencies: [],
      };
      this.byDeployment.set(deploymentId, d);
    }
    return d;
  }

  peek(deploymentId: string): DeploymentReplicas | undefined {
    return this.byDeployment.get(deploymentId);
  }

  deploymentIds(): string[] {
    return [...this.byDeployment.keys()];
  }

  forget(deploymentId: string): void {
    const d = this.byDeployment.get(deploymentId);
    if (d) this.refuseAll(d, 'the deployment was deleted');
    this.byDeployment.delete(deploymentId);
  }

  /** Ready replicas of `generation` that have a port. */
  private readyOf(d: DeploymentReplicas, generation: number): Replica[] {
    return d.replicas.filter((r) => r.generation === generation && r.ready && r.proc.port() !== undefined);
  }

  /** The least-loaded ready replica with a free slot, its slot taken for the caller. */
  private take(d: DeploymentReplicas, g: GateSettings): Replica | undefined {
    let best: Replica | undefined;
    for (const r of this.readyOf(d, g.generation))
      if (r.inFlight < g.maxConcurrentPerInstance && (!best || r.inFlight < best.inFlight)) best = r;
    if (best) {
      best.inFlight++;
      d.inFlight++;
    }
    return best;
  }

  /**
   * Waits for a slot on a ready replica of `generation` under the deployment's request_settings
   * (decideArrival): at once, after a wait in the FIFO queue, or refused. The caller gives the
   * slot back with `release`. `signal` (the caller went away) takes a waiter out of the queue.
   */
  acquire(deploymentId: string, settings: GateSettings, signal?: AbortSignal): Promise<Acquired> {
    const d = this.of(deploymentId);
    d.gate = settings;
    const ready = this.readyOf(d, settings.generation);
    const cold = settings.scaleFromZero === true && ready.length === 0;
    const now = performance.now();
    if (cold && d.coldSinceMs === undefined) {
      // The autoscaler counts a cold request as demand (even one refused at once); woken, it decides
      // now. Once is enough: while requests are held the loop looks again every 100 ms.
      d.coldSinceMs = now;
      this.scaleUp();
    }
    const arrival = decideArrival({
      readyInFlight: ready.map((r) => r.inFlight),
      inFlight: d.inFlight,
      queued: d.waiting.size,
      maxConcurrentPerInstance: settings.maxConcurrentPerInstance,
      maxQueueWaitMs: settings.maxQueueWaitMs,
      nowMs: now,
      scaleFromZero: settings.scaleFromZero === true,
    });
    if (arrival.kind === 'reject')
      return Promise.resolve(
        cold
          ? {
              ...arrival,
              target:
                settings.maxQueueWaitMs <= 0
                  ? 'request_settings.max_queue_wait_ms'
                  : 'request_settings.max_concurrent_requests_per_instance',
              retryAfterSeconds: this.coldRetryAfter(d),
            }
          : arrival,
      );
    if (arrival.kind === 'dispatch') {
      const replica = this.take(d, settings);
      return Promise.resolve(
        replica ? { kind: 'replica', replica } : { kind: 'reject', reason: 'no ready replica has a port' },
      );
    }
    return new Promise<Acquired>((resolve) => {
      const waiter: Waiter = { settle: resolve };
      d.waiting.push(waiter, arrival.deadlineMs);
      d.queued = d.waiting.size;
      signal?.addEventListener(
        'abort',
        () => {
          if (d.waiting.remove(waiter)) {
            d.queued = d.waiting.size;
            resolve({ kind: 'reject', reason: 'the caller went away' });
          }
        },
        { once: true },
      );
      this.arm(deploymentId, d);
    });
  }

  /** Gives back a slot taken by `acquire` and hands free slots to waiters. */
  release(deploymentId: string, replica: Replica): void {
    const d = this.byDeployment.get(deploymentId);
    replica.inFlight--;
    if (!d) return;
    d.inFlight--;
    this.drain(deploymentId);
  }

  /** Hands free slots to waiters in order and refuses those whose wait is over (also after a replica became ready). */
  drain(deploymentId: string): void {
    const d = this.byDeployment.get(deploymentId);
    const g = d?.gate;
    if (!d || !g) return;
    const ready = this.readyOf(d, g.generation);
    if (ready.length > 0 && d.coldSinceMs !== undefined) {
      d.lastColdStartMs = performance.now() - d.coldSinceMs;
      d.coldSinceMs = undefined;
    }
    if (d.waiting.size === 0) return;
    const cold = g.scaleFromZero === true && ready.length === 0;
    const out = d.waiting.release(
      performance.now(),
      freeSlots(
        ready.map((r) => r.inFlight),
        g.maxConcurrentPerInstance,
      ),
    );
    for (const w of out.dispatch) {
      const replica = this.take(d, g);
      // take cannot fail here (the slots were counted just now); a refusal is the safe answer if it does.
      w.settle(replica ? { kind: 'replica', replica } : { kind: 'reject', reason: 'no free replica' });
    }
    for (const w of out.expired)
      w.settle(
        cold
          ? {
              kind: 'reject',
              reason: `waited max_queue_wait_ms (${g.maxQueueWaitMs} ms) and no replica became ready: the deployment was scaled to zero and a replica is starting`,
              target: 'request_settings.max_queue_wait_ms',
              retryAfterSeconds: this.coldRetryAfter(d),
            }
          : {
              kind: 'reject',
              reason: `waited max_queue_wait_ms (${g.maxQueueWaitMs} ms) with every ready replica at max_concurrent_requests_per_instance (${g.maxConcurrentPerInstance})`,
            },
      );
    d.queued = d.waiting.size;
    this.arm(deploymentId, d);
  }

  /** One timer per deployment, at the earliest deadline in its queue. */
  private arm(deploymentId: string, d: DeploymentReplicas): void {
    if (d.timer) clearTimeout(d.timer);
    d.timer = undefined;
    const next = d.waiting.nextDeadlineMs();
    if (next === undefined) return;
    d.timer = setTimeout(() => this.drain(deploymentId), Math.max(0, next - performance.now()) + 1);
    d.timer.unref();
  }

  /** Retry-After for a request that found no ready replica: what is left of the expected cold start. */
  private coldRetryAfter(d: DeploymentReplicas): number {
    return coldRetryAfterSeconds({
      sinceScaleUpMs: d.coldSinceMs === undefined ? 0 : performance.now() - d.coldSinceMs,
      expectedMs: d.lastColdStartMs ?? d.gate?.expectedColdStartMs ?? 1000,
    });
  }

  /** Refuses every held request of a deployment (its generation failed to start: nothing will serve them). */
  refuseWaiting(deploymentId: string, reason: string): void {
    const d = this.byDeployment.get(deploymentId);
    if (!d) return;
    this.refuseAll(d, reason, true);
    d.coldSinceMs = undefined;
  }

  private refuseAll(d: DeploymentReplicas, reason: string, unavailable = false): void {
    const waiters = d.waiting.release(Infinity, 0).expired;
    for (const w of waiters) w.settle({ kind: 'reject', reason, ...(unavailable ? { unavailable } : {}) });
    d.queued = 0;
    if (d.timer) clearTimeout(d.timer);
  }

  /** A ready replica of `generation` with the fewest requests in flight (least load). */
  pick(deploymentId: string, generation: number | undefined): Replica | undefined {
    const d = this.byDeployment.get(deploymentId);
    if (!d || generation === undefined) return undefined;
    let best: Replica | undefined;
    for (const r of d.replicas)
      if (r.generation === generation && r.ready && r.proc.port() !== undefined)
        if (!best || r.inFlight < best.inFlight) best = r;
    return best;
  }

  readyCount(deploymentId: string, generation: number | undefined): number {
    const d = this.byDeployment.get(deploymentId);
    return d ? d.replicas.filter((r) => r.generation === generation && r.ready).length : 0;
  }

  /** Records one answered request (its latency, whether it failed). */
  record(deploymentId: string, ms: number, failed: boolean): void {
    const d = this.of(deploymentId);
    d.requests++;
    if (failed) d.errors++;
    d.latencies.push(ms);
    if (d.latencies.length > 1000) d.latencies.splice(0, d.latencies.length - 1000);
  }

  async stopAll(): Promise<void> {
    for (const d of this.byDeployment.values()) this.refuseAll(d, 'the server is stopping');
    await this.host.stopAll();
    this.byDeployment.clear();
  }
}

/** p-th percentile (0..100) of a sample, undefined when empty. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
