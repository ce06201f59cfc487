/**
 * Readings of a node's counters (nvidia-smi, /proc) into samples, apart from the samples' schemas
 * (system-metrics.ts): the agent parses with these, and starts without loading zod. Pure.
 */
import type { GpuSample } from './system-metrics.js';

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
