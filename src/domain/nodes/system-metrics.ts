/**
 * Utilisation samples an agent takes of its node and of each job it runs, sent with the heartbeat,
 * and their names as Azure ML's system metrics. Pure: parsing and naming only.
 */

import { z } from 'zod';

/** One GPU at one moment (`nvidia-smi --query-gpu=index,utilization.gpu,memory.used,memory.total,temperature.gpu`). */
export const gpuSampleSchema = z.object({
  index: z.number().int().min(0),
  utilizationPercent: z.number().min(0).max(100),
  memoryUsedMB: z.number().min(0),
  memoryTotalMB: z.number().min(0),
  temperatureC: z.number().optional(),
});
export type GpuSample = z.infer<typeof gpuSampleSchema>;

/** One job's processes at one moment (the /proc walk of its process group). */
export const jobSampleSchema = z.object({
  jobId: z.string(),
  attempt: z.number().int().min(1),
  /** Of one core: 200 is two cores busy. */
  cpuPercent: z.number().min(0),
  memoryMB: z.number().min(0),
  processes: z.number().int().min(0),
  /** Host indices of the GPUs the job sees. */
  gpus: z.array(z.number().int().min(0)),
});
export type JobSample = z.infer<typeof jobSampleSchema>;

/** The node and its jobs at one moment. Rates (disk, network) are for the time since the previous sample. */
export const systemSampleSchema = z.object({
  at: z.string(),
  cpuPercent: z.number().min(0).max(100),
  memoryUsedMB: z.number().min(0),
  memoryTotalMB: z.number().min(0),
  diskReadMB: z.number().min(0),
  diskWriteMB: z.number().min(0),
  diskUsedMB: z.number().min(0),
  diskTotalMB: z.number().min(0),
  networkInMB: z.number().min(0),
  networkOutMB: z.number().min(0),
  gpus: z.array(gpuSampleSchema).max(64),
  jobs: z.array(jobSampleSchema).max(256),
});
export type SystemSample = z.infer<typeof systemSampleSchema>;

/** The nvidia-smi query the agent samples GPUs with. */
export const gpuQueryArgs = [
  '--query-gpu=index,utilization.gpu,memory.used,memory.total,temperature.gpu',
  '--format=csv,noheader,nounits',
];

/** Parses the answer to gpuQueryArgs; fields nvidia-smi cannot read ("[N/A]") are left out or 0. */
export function parseGpuSamples(text: string): GpuSample[] {
  const num = (s: string | undefined): number | undefined => {
    const n = Number((s ?? '').trim());
    return s === undefined || s.trim() === '' || !Number.isFinite(n) ? undefined : n;
  };
  return text
    .split('\n')
    .map((l) => l.split(','))
    .filter((p) => p.length >= 4 && num(p[0]) !== undefined)
    .map((p) => {
      const temperature = num(p[4]);
      return {
        index: num(p[0]) ?? 0,
        utilizationPercent: Math.min(100, Math.max(0, num(p[1]) ?? 0)),
        memoryUsedMB: Math.max(0, num(p[2]) ?? 0),
        memoryTotalMB: Math.max(0, num(p[3]) ?? 0),
        ...(temperature === undefined ? {} : { temperatureC: temperature }),
      };
    });
}

/** CPU time counters of /proc/stat's first line: [busy, total] jiffies. */
export function parseProcStatCpu(text: string): [number, number] {
  const line = text.split('\n').find((l) => l.startsWith('cpu ')) ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  return [total - idle, total];
}

/** Busy share between two /proc/stat readings, in %. */
export function cpuPercentBetween(before: [number, number], after: [number, number]): number {
  const total = after[1] - before[1];
  if (total <= 0) return 0;
  return Math.min(100, Math.max(0, (100 * (after[0] - before[0])) / total));
}

/** MemTotal and MemAvailable of /proc/meminfo, in MB. */
export function parseMeminfo(text: string): { totalMB: number; usedMB: number } {
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  const total = kb('MemTotal');
  const available = kb('MemAvailable') || kb('MemFree');
  return { totalMB: total / 1024, usedMB: Math.max(0, total - available) / 1024 };
}

/** Sectors read and written by whole disks in /proc/diskstats, in MB (partitions and virtual devices skipped). */
export function parseDiskstats(text: string): { readMB: number; writeMB: number } {
  let read = 0;
  let write = 0;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const name = f[2] ?? '';
    if (f.length < 10 || /^(loop|ram|dm-|zram|sr)/.test(name)) continue;
    // A partition (sda1, nvme0n1p1, vda2) is counted in its disk already.
    if (/^(sd|vd|xvd|hd)[a-z]+\d+$/.test(name) || /^(nvme\d+n\d+|mmcblk\d+)p\d+$/.test(name)) continue;
    read += Number(f[5]) || 0;
    write += Number(f[9]) || 0;
  }
  return { readMB: (read * 512) / 1e6, writeMB: (write * 512) / 1e6 };
}

/** Bytes received and sent by every interface but loopback in /proc/net/dev, in MB. */
export function parseNetDev(text: string): { inMB: number; outMB: number } {
  let rx = 0;
  let tx = 0;
  for (const line of text.split('\n')) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') continue;
    const f = (m[2] ?? '').trim().split(/\s+/).map(Number);
    rx += f[0] || 0;
    tx += f[8] || 0;
  }
  return { inMB: rx / 1e6, outMB: tx / 1e6 };
}

/** One stored point of a system metric; `key` is the Azure ML name, `/<gpu index>` for one GPU. */
export interface SystemPoint {
  key: string;
  t: number;
  value: number;
}

const mean = (xs: number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
const pct = (used: number, total: number): number => (total > 0 ? (100 * used) / total : 0);

/** GPU metrics of some GPUs: the mean over them, and each one as `<name>/<index>`. */
function gpuPoints(gpus: readonly GpuSample[], t: number): SystemPoint[] {
  if (gpus.length === 0) return [];
  const points: SystemPoint[] = [
    { key: 'GpuUtilization', t, value: mean(gpus.map((g) => g.utilizationPercent)) },
    { key: 'GpuMemoryUtilization', t, value: mean(gpus.map((g) => pct(g.memoryUsedMB, g.memoryTotalMB))) },
    { key: 'GpuMemoryUtilizationMegabytes', t, value: gpus.reduce((a, g) => a + g.memoryUsedMB, 0) },
  ];
  for (const g of gpus) {
    points.push(
      { key: `GpuUtilization/${g.index}`, t, value: g.utilizationPercent },
      { key: `GpuMemoryUtilization/${g.index}`, t, value: pct(g.memoryUsedMB, g.memoryTotalMB) },
      { key: `GpuMemoryUtilizationMegabytes/${g.index}`, t, value: g.memoryUsedMB },
    );
    if (g.temperatureC !== undefined)
      points.push({ key: `GpuTemperature/${g.index}`, t, value: g.temperatureC });
  }
  return points;
}

/** A node's sample as Azure ML's node metrics. */
export function nodePoints(s: SystemSample): SystemPoint[] {
  const t = Date.parse(s.at);
  return [
    { key: 'CpuUtilizationPercentage', t, value: s.cpuPercent },
    { key: 'CpuMemoryUtilizationPercentage', t, value: pct(s.memoryUsedMB, s.memoryTotalMB) },
    { key: 'CpuMemoryUtilizationMegabytes', t, value: s.memoryUsedMB },
    { key: 'DiskReadMegabytes', t, value: s.diskReadMB },
    { key: 'DiskWriteMegabytes', t, value: s.diskWriteMB },
    { key: 'DiskUsedMegabytes', t, value: s.diskUsedMB },
    { key: 'DiskAvailMegabytes', t, value: Math.max(0, s.diskTotalMB - s.diskUsedMB) },
    { key: 'NetworkInputMegabytes', t, value: s.networkInMB },
    { key: 'NetworkOutputMegabytes', t, value: s.networkOutMB },
    ...gpuPoints(s.gpus, t),
  ];
}

/** One job's share of a node sample, as Azure ML's job metrics (CPU % of the node's cores, as Azure shows it). */
export function jobPoints(s: SystemSample, job: JobSample, cores: number): SystemPoint[] {
  const t = Date.parse(s.at);
  const seen = new Set(job.gpus);
  return [
    { key: 'CpuUtilizationPercentage', t, value: Math.min(100, job.cpuPercent / Math.max(1, cores)) },
    { key: 'CpuMemoryUtilizationPercentage', t, value: pct(job.memoryMB, s.memoryTotalMB) },
    { key: 'CpuMemoryUtilizationMegabytes', t, value: job.memoryMB },
    { key: 'ProcessCount', t, value: job.processes },
    ...gpuPoints(
      s.gpus.filter((g) => seen.has(g.index)),
      t,
    ),
  ];
}

/** The system metrics a node and a job have, for help texts and the CLI. */
export const systemMetricNames = [
  'CpuUtilizationPercentage',
  'CpuMemoryUtilizationPercentage',
  'CpuMemoryUtilizationMegabytes',
  'DiskReadMegabytes',
  'DiskWriteMegabytes',
  'DiskUsedMegabytes',
  'DiskAvailMegabytes',
  'NetworkInputMegabytes',
  'NetworkOutputMegabytes',
  'ProcessCount',
  'GpuUtilization',
  'GpuMemoryUtilization',
  'GpuMemoryUtilizationMegabytes',
  'GpuTemperature',
] as const;

/**
 * How samples age: raw for an hour, one point a minute for a day, one per 10 minutes after that,
 * none after `retentionDays`. Bounded: a node sampled every 5 s keeps ~720 + 1440 + 144/day points per metric.
 */
export const retentionTiers: readonly { olderThanMs: number; bucketMs: number }[] = [
  { olderThanMs: 3_600_000, bucketMs: 60_000 },
  { olderThanMs: 86_400_000, bucketMs: 600_000 },
];

/**
 * Whether a job left its GPUs idle all along: it saw GPUs, ran long enough to tell (three samples
 * or more), and no sample shows any of its GPUs above `thresholdPercent`.
 */
export function gpuIdleAllAlong(utilisation: readonly number[], thresholdPercent = 1): boolean {
  return utilisation.length >= 3 && utilisation.every((u) => u < thresholdPercent);
}
