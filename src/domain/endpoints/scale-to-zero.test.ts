import { describe, expect, it } from 'vitest';
import { FakeClock } from '../clock.js';
import { HangarError } from '../errors/hangar-error.js';
import { parseDeploymentSpec, type ScaleSettings } from './endpoint-spec.js';
import { decideArrival } from './request-admission.js';
import {
  autoscaleDue,
  coldRetryAfterSeconds,
  expectedColdStartMs,
  scaleToZeroDelayMs,
  scaleToZeroView,
  scalesToZero,
} from './scale-to-zero.js';
import { decideAutoscale } from './traffic.js';

const refusal = (fn: () => unknown): HangarError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof HangarError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
};

const kubernetes = (scale: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  name: 'blue',
  endpoint_name: 'my-endpoint',
  type: 'kubernetes',
  compute: 'k',
  model: 'azureml:lr:1',
  code_configuration: { code: './code', scoring_script: 'score.py' },
  environment: 'azureml:env:1',
  scale_settings: { type: 'target_utilization', ...scale },
  ...extra,
});

const zeroScale: Extract<ScaleSettings, { type: 'target_utilization' }> = {
  type: 'target_utilization',
  min_instances: 0,
  max_instances: 2,
  target_utilization_percentage: 100,
  polling_interval: 1,
  hangar_scale_to_zero: true,
};

describe('scale to zero: the opt-in in the YAML', () => {
  it('accepts min_instances 0 with hangar_scale_to_zero and starts with no replica', () => {
    const d = parseDeploymentSpec(
      kubernetes({ min_instances: 0, max_instances: 2, hangar_scale_to_zero: true }),
    );
    expect(d.instance_count).toBe(0);
    expect(scalesToZero(d.scale_settings)).toBe(true);
  });

  it("keeps refusing Azure's min_instances 0 without the opt-in, naming field, rule, value and the opt-in", () => {
    const e = refusal(() => parseDeploymentSpec(kubernetes({ min_instances: 0, max_instances: 2 })));
    expect(e.target).toBe('scale_settings.min_instances');
    expect(e.message).toContain('at least 1');
    expect(e.message).toContain('hangar_scale_to_zero: true');
    expect(e.message).toContain('got 0');
  });

  it('refuses the opt-in with min_instances above 0, a non-boolean, or on default scaling', () => {
    const e = refusal(() =>
      parseDeploymentSpec(kubernetes({ min_instances: 1, max_instances: 2, hangar_scale_to_zero: true })),
    );
    expect(e.target).toBe('scale_settings.hangar_scale_to_zero');
    expect(e.message).toContain('needs min_instances: 0');
    expect(e.message).toContain('got min_instances 1');
    const typed = refusal(() =>
      parseDeploymentSpec(kubernetes({ min_instances: 0, max_instances: 2, hangar_scale_to_zero: 'yes' })),
    );
    expect(typed.target).toBe('scale_settings.hangar_scale_to_zero');
    expect(typed.message).toContain('"yes"');
    const onDefault = refusal(() =>
      parseDeploymentSpec(
        kubernetes({}, { scale_settings: { type: 'default', hangar_scale_to_zero: true } }),
      ),
    );
    expect(onDefault.message).toContain('hangar_scale_to_zero');
  });

  it('is not a scale-to-zero deployment when the flag is false or min_instances is 1', () => {
    expect(scalesToZero({ ...zeroScale, hangar_scale_to_zero: false })).toBe(false);
    expect(scalesToZero({ ...zeroScale, min_instances: 1 })).toBe(false);
    expect(scalesToZero({ type: 'default' })).toBe(false);
  });
});

describe('scale to zero: a request with no ready replica', () => {
  const base = {
    readyInFlight: [] as number[],
    inFlight: 0,
    queued: 0,
    maxConcurrentPerInstance: 1,
    maxQueueWaitMs: 5000,
    nowMs: 1000,
  };

  it('is held up to max_queue_wait_ms when the deployment scales from zero, refused otherwise', () => {
    expect(decideArrival({ ...base, scaleFromZero: true })).toEqual({ kind: 'queue', deadlineMs: 6000 });
    expect(decideArrival(base).kind).toBe('reject');
  });

  it('holds at most 2 × max_concurrent × 1 starting instance, then refuses at once', () => {
    expect(decideArrival({ ...base, queued: 1, scaleFromZero: true }).kind).toBe('queue');
    const over = decideArrival({ ...base, queued: 2, scaleFromZero: true });
    expect(over.kind).toBe('reject');
    expect(over.kind === 'reject' && over.reason).toContain('× 1 starting instance(s) = 2');
  });

  it('refuses at once with max_queue_wait_ms 0, saying why', () => {
    const r = decideArrival({ ...base, maxQueueWaitMs: 0, scaleFromZero: true });
    expect(r.kind === 'reject' && r.reason).toContain('scaled to zero and max_queue_wait_ms is 0');
  });

  it('once a replica is ready, Azure rules apply again', () => {
    expect(decideArrival({ ...base, readyInFlight: [0], scaleFromZero: true })).toEqual({ kind: 'dispatch' });
    const busy = decideArrival({ ...base, readyInFlight: [1], inFlight: 1, queued: 1, scaleFromZero: true });
    expect(busy.kind).toBe('reject');
  });
});

describe('scale to zero: the autoscaler on a fake clock', () => {
  /** One serving-loop pass: decide when due, as the loop does. */
  function passes() {
    const clock = new FakeClock();
    let current = 0;
    let belowSinceMs: number | undefined;
    let lastMs: number | undefined;
    const pass = (inFlight: number, queued: number): number => {
      const nowMs = clock.elapsedMs();
      const pollingIntervalMs = zeroScale.polling_interval * 1000;
      if (autoscaleDue({ nowMs, lastMs, pollingIntervalMs, current, demand: inFlight + queued })) {
        const d = decideAutoscale({
          current,
          inFlight,
          queued,
          min: 0,
          max: 2,
          targetUtilizationPercentage: 100,
          maxConcurrentPerInstance: 1,
          belowSinceMs,
          nowMs,
          pollingIntervalMs,
        });
        current = d.desired;
        belowSinceMs = d.belowSinceMs;
        lastMs = nowMs;
      }
      return current;
    };
    return { clock, pass };
  }

  it('stays at zero while idle, and one held request asks for a replica in the very next pass', () => {
    const { clock, pass } = passes();
    for (let i = 0; i < 100; i++) {
      expect(pass(0, 0)).toBe(0);
      clock.advance(500);
    }
    // A polling interval has just been decided: a held request still scales up at once (cold demand).
    pass(0, 0);
    clock.advance(100);
    expect(pass(0, 1)).toBe(1);
  });

  it('goes back to zero after 20 × polling_interval idle, not before', () => {
    const { clock, pass } = passes();
    expect(pass(0, 1)).toBe(1);
    clock.advance(500);
    expect(pass(1, 0)).toBe(1);
    clock.advance(500);
    const idleFrom = clock.elapsedMs();
    while (clock.elapsedMs() - idleFrom < scaleToZeroDelayMs(1)) {
      expect(pass(0, 0)).toBe(1);
      clock.advance(500);
    }
    expect(pass(0, 0)).toBe(0);
  });

  it('a request in flight keeps the replica however long it lasts', () => {
    const { clock, pass } = passes();
    pass(0, 1);
    for (let i = 0; i < 100; i++) {
      clock.advance(500);
      expect(pass(1, 0)).toBe(1);
    }
  });

  it('decides every polling interval otherwise', () => {
    expect(autoscaleDue({ nowMs: 1500, lastMs: 1000, pollingIntervalMs: 1000, current: 1, demand: 5 })).toBe(
      false,
    );
    expect(autoscaleDue({ nowMs: 2000, lastMs: 1000, pollingIntervalMs: 1000, current: 1, demand: 5 })).toBe(
      true,
    );
    expect(autoscaleDue({ nowMs: 1500, lastMs: 1000, pollingIntervalMs: 1000, current: 0, demand: 0 })).toBe(
      false,
    );
  });
});

describe('scale to zero: Retry-After and show', () => {
  it('Retry-After is what is left of the expected cold start, at least 1 s', () => {
    expect(expectedColdStartMs({ readinessInitialDelayS: 4 })).toBe(5000);
    expect(expectedColdStartMs({ measuredMs: 1800, readinessInitialDelayS: 4 })).toBe(1800);
    expect(coldRetryAfterSeconds({ sinceScaleUpMs: 1000, expectedMs: 5000 })).toBe(4);
    expect(coldRetryAfterSeconds({ sinceScaleUpMs: 1001, expectedMs: 5000 })).toBe(4);
    expect(coldRetryAfterSeconds({ sinceScaleUpMs: 9000, expectedMs: 5000 })).toBe(1);
  });

  it('show says a deployment is scaled to zero only when it opted in and none is ready', () => {
    const at = scaleToZeroView({ scale: zeroScale, readyReplicas: 0, provisioningState: 'Succeeded' });
    expect(at).toMatchObject({ enabled: true, scaledToZero: true, idleSecondsBeforeZero: 20 });
    expect(at.note).toContain('the next request starts one');
    expect(scaleToZeroView({ scale: zeroScale, readyReplicas: 1, provisioningState: 'Succeeded' })).toEqual({
      enabled: true,
      scaledToZero: false,
      idleSecondsBeforeZero: 20,
    });
    expect(
      scaleToZeroView({ scale: zeroScale, readyReplicas: 0, provisioningState: 'Scaling' }).scaledToZero,
    ).toBe(false);
    expect(
      scaleToZeroView({ scale: { type: 'default' }, readyReplicas: 0, provisioningState: 'Succeeded' }),
    ).toEqual({
      enabled: false,
      scaledToZero: false,
    });
  });
});
