import { describe, expect, it } from 'vitest';
import {
  cpuPercentBetween,
  gpuIdleAllAlong,
  jobPoints,
  nodePoints,
  parseDiskstats,
  parseGpuSamples,
  parseMeminfo,
  parseNetDev,
  parseProcStatCpu,
  type SystemSample,
} from './system-metrics.js';

const sample: SystemSample = {
  at: '2026-01-01T00:00:00.000Z',
  cpuPercent: 50,
  memoryUsedMB: 1000,
  memoryTotalMB: 4000,
  diskReadMB: 1,
  diskWriteMB: 2,
  diskUsedMB: 300,
  diskTotalMB: 1000,
  networkInMB: 3,
  networkOutMB: 4,
  gpus: [
    { index: 0, utilizationPercent: 90, memoryUsedMB: 8000, memoryTotalMB: 16000, temperatureC: 70 },
    { index: 1, utilizationPercent: 10, memoryUsedMB: 0, memoryTotalMB: 16000 },
  ],
  jobs: [{ jobId: 'w~j', attempt: 1, cpuPercent: 200, memoryMB: 400, processes: 3, gpus: [1] }],
};

describe('parsing what the node reports', () => {
  it('reads nvidia-smi utilisation rows, skipping fields it cannot read', () => {
    expect(parseGpuSamples('0, 87, 1024, 16384, 64\n1, [N/A], 0, 16384, [N/A]\n\n')).toEqual([
      { index: 0, utilizationPercent: 87, memoryUsedMB: 1024, memoryTotalMB: 16384, temperatureC: 64 },
      { index: 1, utilizationPercent: 0, memoryUsedMB: 0, memoryTotalMB: 16384 },
    ]);
    expect(parseGpuSamples('No devices were found')).toEqual([]);
  });

  it('turns /proc/stat readings into a busy share', () => {
    const a = parseProcStatCpu('cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3\n');
    const b = parseProcStatCpu('cpu  200 0 200 1000 200 0 0 0 0 0\n');
    expect(a).toEqual([200, 1000]);
    expect(cpuPercentBetween(a, b)).toBeCloseTo(100 / 3);
    expect(cpuPercentBetween(a, a)).toBe(0);
  });

  it('reads memory, whole disks only, and every interface but loopback', () => {
    expect(parseMeminfo('MemTotal:  4096000 kB\nMemFree: 1 kB\nMemAvailable: 1024000 kB\n')).toEqual({
      totalMB: 4000,
      usedMB: 3000,
    });
    const disks = parseDiskstats(
      [
        '   8  0 sda 10 0 2000 0 5 0 4000 0 0 0 0',
        '   8  1 sda1 10 0 2000 0 5 0 4000 0 0 0 0',
        '   7 0 loop0 1 0 999 0 1 0 999 0 0 0 0',
      ].join('\n'),
    );
    expect(disks).toEqual({ readMB: (2000 * 512) / 1e6, writeMB: (4000 * 512) / 1e6 });
    const net = parseNetDev(
      'Inter-|   Receive\n face |bytes\n    lo: 999 1 0 0 0 0 0 0 999 1 0 0 0 0 0 0\n  eth0: 2000000 10 0 0 0 0 0 0 1000000 5 0 0 0 0 0 0\n',
    );
    expect(net).toEqual({ inMB: 2, outMB: 1 });
  });
});

describe('Azure ML names', () => {
  it('gives a node its CPU, memory, disk, network and per-GPU metrics', () => {
    const points = Object.fromEntries(nodePoints(sample).map((p) => [p.key, p.value]));
    expect(points.CpuUtilizationPercentage).toBe(50);
    expect(points.CpuMemoryUtilizationPercentage).toBe(25);
    expect(points.DiskAvailMegabytes).toBe(700);
    expect(points.GpuUtilization).toBe(50);
    expect(points['GpuUtilization/0']).toBe(90);
    expect(points['GpuMemoryUtilization/0']).toBe(50);
    expect(points['GpuTemperature/0']).toBe(70);
    expect(points['GpuTemperature/1']).toBeUndefined();
  });

  it("gives a job its processes' share and only the GPUs it sees", () => {
    const points = Object.fromEntries(jobPoints(sample, sample.jobs[0]!, 4).map((p) => [p.key, p.value]));
    expect(points.CpuUtilizationPercentage).toBe(50);
    expect(points.CpuMemoryUtilizationMegabytes).toBe(400);
    expect(points.ProcessCount).toBe(3);
    expect(points.GpuUtilization).toBe(10);
    expect(points['GpuUtilization/0']).toBeUndefined();
  });

  it('calls a GPU idle only after enough samples all at zero', () => {
    expect(gpuIdleAllAlong([0, 0, 0])).toBe(true);
    expect(gpuIdleAllAlong([0, 0])).toBe(false);
    expect(gpuIdleAllAlong([0, 5, 0])).toBe(false);
  });
});
