/**
 * The endpoint router's decisions, as pure functions: which deployment takes a request, whether
 * it is mirrored, whether a deployment admits one more request, how many replicas it wants.
 */

/** Where one request goes. */
export type RouteChoice =
  { kind: 'deployment'; deployment: string; mirror?: string } | { kind: 'none'; reason: string };

/**
 * Picks a deployment: the `azureml-model-deployment` header wins (no mirroring then, as on
 * Azure); otherwise by weight, `draw` in [0, 1). Mirroring copies the request to one deployment
 * with its percentage, drawn with `mirrorDraw`.
 */
export function chooseDeployment(input: {
  traffic: Readonly<Record<string, number>>;
  mirror: Readonly<Record<string, number>>;
  pinned?: string | undefined;
  deployments: readonly string[];
  draw: number;
  mirrorDraw: number;
}): RouteChoice {
  const byLower = new Map(input.deployments.map((d) => [d.toLowerCase(), d]));
  if (input.pinned !== undefined && input.pinned !== '') {
    const d = byLower.get(input.pinned.toLowerCase());
    return d
      ? { kind: 'deployment', deployment: d }
      : {
          kind: 'none',
          reason: `the azureml-model-deployment header names '${input.pinned}', which is not a deployment of this endpoint`,
        };
  }
  const weighted = Object.entries(input.traffic).filter(([d, w]) => w > 0 && byLower.has(d.toLowerCase()));
  const total = weighted.reduce((a, [, w]) => a + w, 0);
  if (total === 0)
    return {
      kind: 'none',
      reason:
        'no deployment takes traffic: set weights with `hangar online-endpoint update --traffic "<deployment>=100"` or send the azureml-model-deployment header',
    };
  let at = input.draw * total;
  let chosen = weighted[weighted.length - 1]?.[0] ?? '';
  for (const [d, w] of weighted) {
    if (at < w) {
      chosen = d;
      break;
    }
    at -= w;
  }
  const deployment = byLower.get(chosen.toLowerCase()) ?? chosen;
  const [mirrorTo, pct] = Object.entries(input.mirror).find(([, w]) => w > 0) ?? [];
  const mirror =
    mirrorTo !== undefined &&
    pct !== undefined &&
    byLower.has(mirrorTo.toLowerCase()) &&
    mirrorTo.toLowerCase() !== deployment.toLowerCase() &&
    input.mirrorDraw * 100 < pct
      ? byLower.get(mirrorTo.toLowerCase())
      : undefined;
  return { kind: 'deployment', deployment, ...(mirror ? { mirror } : {}) };
}

/** Azure's admission rule: at most 2 × max_concurrent_requests_per_instance × instances in flight. */
export function admissionLimit(maxConcurrentPerInstance: number, instances: number): number {
  return 2 * maxConcurrentPerInstance * Math.max(0, instances);
}

/** Whether a deployment takes one more request with `inFlight` already in flight. */
export function admits(inFlight: number, maxConcurrentPerInstance: number, instances: number): boolean {
  return inFlight < admissionLimit(maxConcurrentPerInstance, instances);
}

/** What the autoscaler sees of one deployment at one polling interval. */
export interface AutoscaleInput {
  /** Replicas wanted now (starting ones included). */
  current: number;
  /** Requests being scored plus requests waiting for a replica. */
  inFlight: number;
  queued: number;
  min: number;
  max: number;
  targetUtilizationPercentage: number;
  maxConcurrentPerInstance: number;
  /** When (ms) utilization first fell below target in the current run of low readings; undefined when not below. */
  belowSinceMs: number | undefined;
  nowMs: number;
  pollingIntervalMs: number;
}

export interface AutoscaleDecision {
  desired: number;
  belowSinceMs: number | undefined;
  reason: string;
}

/** Scale-down waits this many polling intervals of low use (azureml-fe removes about 20× more slowly). */
export const scaleDownIntervals = 20;

/**
 * azureml-fe's rule on a queue-aware signal: utilization = (in flight + queued) / (replicas ×
 * max concurrent); above the target, scale up at once to what the load needs; below it for
 * `scaleDownIntervals` polling intervals, remove one replica. Always within min..max.
 */
export function decideAutoscale(i: AutoscaleInput): AutoscaleDecision {
  const clamp = (n: number): number => Math.min(i.max, Math.max(i.min, n));
  const demand = i.inFlight + i.queued;
  const perReplica = i.maxConcurrentPerInstance * (i.targetUtilizationPercentage / 100);
  const needed = clamp(Math.ceil(demand / perReplica));
  const capacity = Math.max(0, i.current) * i.maxConcurrentPerInstance;
  const utilization = capacity === 0 ? (demand > 0 ? Infinity : 0) : (demand / capacity) * 100;
  if (i.current < i.min)
    return { desired: i.min, belowSinceMs: undefined, reason: `below min_instances ${i.min}` };
  if (i.current > i.max)
    return { desired: i.max, belowSinceMs: undefined, reason: `above max_instances ${i.max}` };
  if (utilization > i.targetUtilizationPercentage && needed > i.current)
    return {
      desired: needed,
      belowSinceMs: undefined,
      reason: `utilization ${Number.isFinite(utilization) ? Math.round(utilization) : '∞'}% > target ${i.targetUtilizationPercentage}%: ${demand} request(s) need ${needed} replica(s)`,
    };
  if (needed < i.current) {
    const since = i.belowSinceMs ?? i.nowMs;
    if (i.nowMs - since >= scaleDownIntervals * i.pollingIntervalMs)
      return {
        desired: i.current - 1,
        belowSinceMs: undefined,
        reason: `utilization under target for ${scaleDownIntervals} polling intervals: one replica fewer`,
      };
    return { desired: i.current, belowSinceMs: since, reason: 'under target; waiting before scaling down' };
  }
  return { desired: i.current, belowSinceMs: undefined, reason: 'at target' };
}
