/**
 * Scale to zero, Hangar's opt-in beyond Azure (`scale_settings.hangar_scale_to_zero: true` with
 * `min_instances: 0`), as pure decisions on numbers and a caller's clock: when the autoscaler
 * decides, how long an idle deployment keeps its last replica, what `Retry-After` a request that
 * waited in vain for a starting replica is told, and what `show` says of a deployment at zero.
 */
import type { ScaleSettings } from './endpoint-spec.js';
import { scaleDownIntervals } from './traffic.js';

/** Whether a deployment's scale settings opted in to scale to zero. */
export function scalesToZero(scale: ScaleSettings): boolean {
  return (
    scale.type === 'target_utilization' && scale.hangar_scale_to_zero === true && scale.min_instances === 0
  );
}

/**
 * The idle time after which the last replica stops: the autoscaler's scale-down delay,
 * `scaleDownIntervals` (20) × `polling_interval`, the same as for any other replica.
 */
export function scaleToZeroDelayMs(pollingIntervalS: number): number {
  return scaleDownIntervals * pollingIntervalS * 1000;
}

/**
 * Whether the autoscaler decides in this pass: every `polling_interval`, and at once when a
 * request waits on a deployment with no replica (the serving loop is woken by that request, so
 * the scale-up is decided within a pass, not a polling interval later).
 */
export function autoscaleDue(i: {
  nowMs: number;
  lastMs: number | undefined;
  pollingIntervalMs: number;
  current: number;
  demand: number;
}): boolean {
  if (i.current === 0 && i.demand > 0) return true;
  return i.lastMs === undefined || i.nowMs - i.lastMs >= i.pollingIntervalMs;
}

/**
 * How long a cold start is expected to take: the last one measured on this deployment, or
 * before any, the readiness probe's `initial_delay` plus a second (the probe's cadence).
 */
export function expectedColdStartMs(i: {
  measuredMs?: number | undefined;
  readinessInitialDelayS: number;
}): number {
  return i.measuredMs ?? i.readinessInitialDelayS * 1000 + 1000;
}

/**
 * `Retry-After` (whole seconds, at least 1) for a request refused after waiting for a starting
 * replica: what is left of the expected cold start since the scale-up began.
 */
export function coldRetryAfterSeconds(i: { sinceScaleUpMs: number; expectedMs: number }): number {
  return Math.max(1, Math.ceil((i.expectedMs - i.sinceScaleUpMs) / 1000));
}

/** What `show` says of a deployment that opted in: whether it is at zero now, and what that means. */
export function scaleToZeroView(i: {
  scale: ScaleSettings;
  readyReplicas: number;
  provisioningState: string;
}): { enabled: boolean; scaledToZero: boolean; idleSecondsBeforeZero?: number; note?: string } {
  if (!scalesToZero(i.scale) || i.scale.type !== 'target_utilization')
    return { enabled: false, scaledToZero: false };
  const atZero = i.readyReplicas === 0 && i.provisioningState === 'Succeeded';
  return {
    enabled: true,
    scaledToZero: atZero,
    idleSecondsBeforeZero: scaleToZeroDelayMs(i.scale.polling_interval) / 1000,
    ...(atZero
      ? {
          note: 'scaled to zero: no replica runs; the next request starts one and is held up to request_settings.max_queue_wait_ms while it starts (then 429 with Retry-After)',
        }
      : {}),
  };
}
