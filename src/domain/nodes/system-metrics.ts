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

// The parsers live apart so that the agent loads them without zod; re-exported for everyone else.
export {
  cpuPercentBetween,
  gpuQueryArgs,
  parseDiskstats,
  parseGpuSamples,
  parseMeminfo,
  parseNetDev,
  parseProcStatCpu,
} from './system-readings.js';

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
