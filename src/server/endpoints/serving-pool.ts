import { readFileSync } from 'node:fs';
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
  inFlight: number;
}

/** What the router and the loop share about one deployment (by deployment id). */
export interface DeploymentReplicas {
  replicas: Replica[];
  /** Requests in flight (admission), and waiting for a replica. */
  inFlight: number;
  queued: number;
  /** The autoscaler's current answer and its bookkeeping. */
  autoscaleDesired?: number;
  belowSinceMs?: number;
  lastAutoscaleMs?: number;
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

  constructor(readonly host: LocalReplicaHost) {}

  of(deploymentId: string): DeploymentReplicas {
    let d = this.byDeployment.get(deploymentId);
    if (!d) {
      d = { replicas: [], inFlight: 0, queued: 0, requests: 0, errors: 0, latencies: [] };
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
    this.byDeployment.delete(deploymentId);
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
