import { describe, expect, it } from 'vitest';
import { admissionLimit, admits, chooseDeployment, decideAutoscale, scaleDownIntervals } from './traffic.js';

const base = {
  traffic: { blue: 90, green: 10 },
  mirror: {},
  deployments: ['blue', 'green'],
  mirrorDraw: 0.5,
};

describe('chooseDeployment', () => {
  it('splits by weight over the draw', () => {
    const counts: Record<string, number> = { blue: 0, green: 0 };
    for (let i = 0; i < 100; i++) {
      const c = chooseDeployment({ ...base, draw: i / 100 });
      if (c.kind === 'deployment') counts[c.deployment] = (counts[c.deployment] ?? 0) + 1;
    }
    expect(counts).toEqual({ blue: 90, green: 10 });
  });

  it('the azureml-model-deployment header wins, case-insensitively, and is never mirrored', () => {
    const c = chooseDeployment({
      ...base,
      mirror: { green: 50 },
      traffic: { blue: 100 },
      pinned: 'GREEN',
      draw: 0,
      mirrorDraw: 0,
    });
    expect(c).toEqual({ kind: 'deployment', deployment: 'green' });
    expect(chooseDeployment({ ...base, pinned: 'pink', draw: 0 }).kind).toBe('none');
  });

  it('no weight above zero: none, with how to fix it', () => {
    const c = chooseDeployment({ ...base, traffic: { blue: 0 }, draw: 0.3 });
    expect(c.kind).toBe('none');
    if (c.kind === 'none') expect(c.reason).toContain('--traffic');
  });

  it('mirrors the given percentage to the mirror deployment', () => {
    const input = { ...base, traffic: { blue: 100 }, mirror: { green: 20 }, draw: 0.1 };
    expect(chooseDeployment({ ...input, mirrorDraw: 0.19 })).toEqual({
      kind: 'deployment',
      deployment: 'blue',
      mirror: 'green',
    });
    expect(chooseDeployment({ ...input, mirrorDraw: 0.2 })).toEqual({
      kind: 'deployment',
      deployment: 'blue',
    });
  });
});

describe('admission', () => {
  it('admits up to 2 × max_concurrent_requests_per_instance × instances in flight', () => {
    expect(admissionLimit(1, 3)).toBe(6);
    expect(admits(5, 1, 3)).toBe(true);
    expect(admits(6, 1, 3)).toBe(false);
    expect(admits(0, 4, 0)).toBe(false);
  });
});

describe('decideAutoscale', () => {
  const at = (over: Partial<Parameters<typeof decideAutoscale>[0]>) =>
    decideAutoscale({
      current: 1,
      inFlight: 0,
      queued: 0,
      min: 1,
      max: 3,
      targetUtilizationPercentage: 70,
      maxConcurrentPerInstance: 1,
      belowSinceMs: undefined,
      nowMs: 0,
      pollingIntervalMs: 1000,
      ...over,
    });

  it('scales up at once to what in flight plus queued needs, within max', () => {
    expect(at({ inFlight: 1, queued: 1 }).desired).toBe(3);
    expect(at({ inFlight: 10 }).desired).toBe(3);
  });

  it('scales down one replica only after the low readings lasted 20 polling intervals', () => {
    const first = at({ current: 3, inFlight: 0, nowMs: 5000 });
    expect(first.desired).toBe(3);
    expect(first.belowSinceMs).toBe(5000);
    const later = at({ current: 3, belowSinceMs: 5000, nowMs: 5000 + scaleDownIntervals * 1000 });
    expect(later.desired).toBe(2);
    expect(later.belowSinceMs).toBeUndefined();
  });

  it('a busy reading resets the scale-down wait; bounds are kept', () => {
    expect(at({ current: 2, inFlight: 2, belowSinceMs: 1 }).belowSinceMs).toBeUndefined();
    expect(at({ current: 0 }).desired).toBe(1);
    expect(at({ current: 5 }).desired).toBe(3);
  });
});
