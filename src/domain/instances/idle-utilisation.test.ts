import { describe, expect, it } from 'vitest';
import { decideIdle, utilisationReasons } from './idle.js';

const points = [
  { key: 'CpuUtilizationPercentage', value: 40 },
  { key: 'CpuUtilizationPercentage', value: 80 },
  { key: 'GpuUtilization', value: 45 },
  { key: 'GpuUtilization/0', value: 90 },
  { key: 'GpuUtilization/1', value: 0 },
];

describe('utilisation as activity (off by default)', () => {
  it('counts nothing without thresholds', () => {
    expect(utilisationReasons(points, {})).toEqual([]);
  });

  it('says which signal kept the instance busy: the mean over the window per GPU, and CPU', () => {
    expect(utilisationReasons(points, { gpuPercent: 10 })).toEqual(['GPU 0 at 90% (activity threshold 10%)']);
    expect(utilisationReasons(points, { cpuPercent: 60 })).toEqual(['CPU at 60% (activity threshold 60%)']);
    expect(utilisationReasons(points, { cpuPercent: 61, gpuPercent: 95 })).toEqual([]);
  });

  it('keeps an instance with a busy GPU from idle shutdown, in the activity text', () => {
    const busy = utilisationReasons(points, { gpuPercent: 10 });
    const out = decideIdle(
      { busy, idleSince: '2026-01-01T00:00:00Z', limitSeconds: 60 },
      new Date('2026-01-01T01:00:00Z'),
    );
    expect(out.stopReason).toBeUndefined();
    expect(out.activity).toBe('busy: GPU 0 at 90% (activity threshold 10%)');
  });
});
