import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import { cpus } from 'node:os';
import type { GpuSample, JobSample, SystemSample } from '../domain/nodes/system-metrics.js';
import {
  cpuPercentBetween,
  gpuQueryArgs,
  parseDiskstats,
  parseGpuSamples,
  parseMeminfo,
  parseNetDev,
  parseProcStatCpu,
} from '../domain/nodes/system-readings.js';

/** One process as /proc/<pid>/stat says: parent, CPU ticks used, resident pages. */
export interface ProcStat {
  pid: number;
  ppid: number;
  ticks: number;
  rssPages: number;
}

/** Parses /proc/<pid>/stat (the command name may hold spaces and parentheses: fields start after the last ')'). */
export function parseProcStat(pid: number, text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text
    .slice(close + 2)
    .trim()
    .split(' ');
  const ppid = Number(f[1]);
  if (!Number.isInteger(ppid)) return undefined;
  return { pid, ppid, ticks: Number(f[11] ?? 0) + Number(f[12] ?? 0), rssPages: Number(f[21] ?? 0) };
}

/** Every process and its descendants from the table (the job's whole tree, whatever groups or sessions it made). */
export function processTree(table: readonly ProcStat[], root: number): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const p of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out: ProcStat[] = [];
  const start = table.find((p) => p.pid === root);
  const stack = start ? [start] : [];
  while (stack.length > 0) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p.pid) ?? []));
  }
  return out;
}

function readProcTable(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const s = parseProcStat(Number(entry), readFileSync(`/proc/${entry}/stat`, 'utf8'));
      if (s) out.push(s);
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

const read = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

/** A job the sampler measures: its root process and the GPUs it sees. */
export interface SampledJob {
  jobId: string;
  attempt: number;
  pid: number | undefined;
  gpus: number[];
}

const TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

/**
 * Takes a sample of the node (CPU, memory, disk, network, GPUs) and of each running job (its
 * process tree's CPU and memory) every interval, keeping them until the next heartbeat takes them.
 */
export class SystemSampler {
  private timer: NodeJS.Timeout | undefined;
  private pending: SystemSample[] = [];
  private last:
    | {
        at: number;
        cpu: [number, number];
        disk: { readMB: number; writeMB: number };
        net: { inMB: number; outMB: number };
      }
    | undefined;
  private jobTicks = new Map<string, { at: number; ticks: number }>();
  private busy = false;

  constructor(
    private readonly opts: {
      /** nvidia-smi to query, or undefined when the node has none. */
      nvidiaSmi: string | undefined;
      /** GPUs this node holds (the others on its host belong to other nodes). */
      gpus: readonly number[] | undefined;
      /** Folder whose file system counts as the node's disk. */
      diskPath: string;
      jobs: () => SampledJob[];
      log: (line: string) => void;
    },
  ) {}

  start(intervalMs: number): void {
    this.stop();
    void this.sample();
    this.timer = setInterval(() => void this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The samples taken since the last call (at most the newest 120). */
  take(): SystemSample[] {
    const out = this.pending.slice(-120);
    this.pending = [];
    return out;
  }

  /** Puts samples a failed heartbeat could not deliver back in front. */
  giveBack(samples: SystemSample[]): void {
    this.pending = [...samples, ...this.pending].slice(-120);
  }

  private gpuSamples(): Promise<GpuSample[]> {
    const smi = this.opts.nvidiaSmi;
    if (!smi) return Promise.resolve([]);
    return new Promise((resolve) =>
      execFile(smi, gpuQueryArgs, { timeout: 5000, encoding: 'utf8' }, (err, stdout) => {
        if (err) {
          this.opts.log(`nvidia-smi: ${err.message}`);
          return resolve([]);
        }
        const mine = this.opts.gpus === undefined ? undefined : new Set(this.opts.gpus);
        resolve(parseGpuSamples(stdout).filter((g) => mine === undefined || mine.has(g.index)));
      }),
    );
  }

  /** One sample; the first only sets the baselines of the rates (CPU, disk, network). */
  async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const now = Date.now();
      const gpus = await this.gpuSamples();
      const cpu = parseProcStatCpu(read('/proc/stat'));
      const disk = parseDiskstats(read('/proc/diskstats'));
      const net = parseNetDev(read('/proc/net/dev'));
      const mem = parseMeminfo(read('/proc/meminfo'));
      let used = 0;
      let total = 0;
      try {
        const fs = statfsSync(this.opts.diskPath);
        total = (fs.blocks * fs.bsize) / 1e6;
        used = ((fs.blocks - fs.bfree) * fs.bsize) / 1e6;
      } catch {
        /* the folder went; report no disk */
      }
      const jobs = this.jobSamples(now);
      const last = this.last;
      this.last = { at: now, cpu, disk, net };
      if (!last) return;
      this.pending.push({
        at: new Date(now).toISOString(),
        cpuPercent: cpuPercentBetween(last.cpu, cpu),
        memoryUsedMB: mem.usedMB,
        memoryTotalMB: mem.totalMB,
        diskReadMB: Math.max(0, disk.readMB - last.disk.readMB),
        diskWriteMB: Math.max(0, disk.writeMB - last.disk.writeMB),
        diskUsedMB: used,
        diskTotalMB: total,
        networkInMB: Math.max(0, net.inMB - last.net.inMB),
        networkOutMB: Math.max(0, net.outMB - last.net.outMB),
        gpus,
        jobs,
      });
      if (this.pending.length > 120) this.pending.shift();
    } catch (err) {
      this.opts.log(`sampling failed: ${(err as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  private jobSamples(now: number): JobSample[] {
    const jobs = this.opts.jobs();
    if (jobs.length === 0) {
      this.jobTicks.clear();
      return [];
    }
    const table = readProcTable();
    const out: JobSample[] = [];
    const seen = new Set<string>();
    for (const j of jobs) {
      const key = `${j.jobId}#${j.attempt}`;
      seen.add(key);
      const tree = j.pid === undefined ? [] : processTree(table, j.pid);
      const ticks = tree.reduce((a, p) => a + p.ticks, 0);
      const before = this.jobTicks.get(key);
      this.jobTicks.set(key, { at: now, ticks });
      const seconds = before ? (now - before.at) / 1000 : 0;
      const cpuPercent =
        before && seconds > 0 ? Math.max(0, (100 * (ticks - before.ticks)) / TICKS_PER_SECOND / seconds) : 0;
      out.push({
        jobId: j.jobId,
        attempt: j.attempt,
        cpuPercent: Math.min(cpuPercent, 100 * cpus().length),
        memoryMB: (tree.reduce((a, p) => a + p.rssPages, 0) * PAGE_BYTES) / 1e6,
        processes: tree.length,
        gpus: j.gpus,
      });
    }
    for (const k of this.jobTicks.keys()) if (!seen.has(k)) this.jobTicks.delete(k);
    return out;
  }
}
