import type { JobRecord } from '../../domain/jobs/job-record.js';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import type { NodeUtilisation } from './system-metrics-service.js';
import { histogramOf, type Family } from './prometheus-text.js';

/** Seconds from minutes to a day: queue waits. */
const waitBuckets = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400];

const seconds = (from: string, to: string | undefined): number | undefined => {
  if (!to) return undefined;
  const s = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(s) && s >= 0 ? s : undefined;
};

/** Jobs by state, and how long they waited: for a node (queue wait) and for Running (time to Running). */
export function jobFamilies(jobs: readonly JobRecord[]): Family[] {
  const counts = new Map<string, { workspace: string; compute: string; state: string; n: number }>();
  const queue: { labels: Record<string, string>; value: number }[] = [];
  const toRunning: { labels: Record<string, string>; value: number }[] = [];
  for (const j of jobs) {
    const k = `${j.workspace}\0${j.computeName}\0${j.status}`;
    const c = counts.get(k) ?? { workspace: j.workspace, compute: j.computeName, state: j.status, n: 0 };
    c.n += 1;
    counts.set(k, c);
    const labels = { workspace: j.workspace, compute: j.computeName };
    const q = seconds(j.createdAt, j.attempts[0]?.startTime);
    if (q !== undefined) queue.push({ labels, value: q });
    const r = seconds(j.createdAt, j.startTime);
    if (r !== undefined) toRunning.push({ labels, value: r });
  }
  return [
    {
      name: 'hangar_jobs',
      help: 'Jobs known to the server, by workspace, compute and state.',
      type: 'gauge',
      samples: [...counts.values()].map((c) => ({
        labels: { workspace: c.workspace, compute: c.compute, state: c.state },
        value: c.n,
      })),
    },
    histogramOf(
      'hangar_job_queue_wait_seconds',
      'Time from submission until a node took the first attempt, over the jobs the server holds.',
      waitBuckets,
      queue,
    ),
    histogramOf(
      'hangar_job_time_to_running_seconds',
      'Time from submission until the job was Running (files fetched, environment ready), over the jobs the server holds.',
      waitBuckets,
      toRunning,
    ),
  ];
}

/** Nodes by state per compute, and their slots. */
export function nodeFamilies(nodes: readonly NodeRecord[]): Family[] {
  const counts = new Map<string, { labels: Record<string, string>; n: number }>();
  for (const n of nodes) {
    const labels = { workspace: n.workspace, compute: n.computeName, state: n.state };
    const k = JSON.stringify(labels);
    const c = counts.get(k) ?? { labels, n: 0 };
    c.n += 1;
    counts.set(k, c);
  }
  return [
    {
      name: 'hangar_nodes',
      help: 'Nodes by workspace, compute and state.',
      type: 'gauge',
      samples: [...counts.values()].map((c) => ({ labels: c.labels, value: c.n })),
    },
    {
      name: 'hangar_node_gpus',
      help: 'GPUs each node holds (as its agent found them).',
      type: 'gauge',
      samples: nodes.map((n) => ({
        labels: { workspace: n.workspace, compute: n.computeName, node: n.id },
        value: n.capacity?.gpus.length ?? 0,
      })),
    },
  ];
}

/** Each node's latest utilisation sample, per GPU where it has GPUs. */
export function utilisationFamilies(latest: readonly NodeUtilisation[]): Family[] {
  const node = (u: NodeUtilisation) => ({ workspace: u.workspace, compute: u.compute, node: u.nodeId });
  const gauge = (name: string, help: string, samples: Family['samples']): Family => ({
    name,
    help,
    type: 'gauge',
    samples,
  });
  const perGpu = (pick: (g: NodeUtilisation['sample']['gpus'][number]) => number | undefined) =>
    latest.flatMap((u) =>
      u.sample.gpus.flatMap((g) => {
        const v = pick(g);
        return v === undefined ? [] : [{ labels: { ...node(u), gpu: String(g.index) }, value: v }];
      }),
    );
  return [
    gauge(
      'hangar_node_cpu_utilization_percent',
      "CPU busy share of each node at its latest sample (Azure ML's CpuUtilizationPercentage).",
      latest.map((u) => ({ labels: node(u), value: u.sample.cpuPercent })),
    ),
    gauge(
      'hangar_node_memory_used_bytes',
      'Memory in use on each node at its latest sample.',
      latest.map((u) => ({ labels: node(u), value: u.sample.memoryUsedMB * 1e6 })),
    ),
    gauge(
      'hangar_node_memory_total_bytes',
      'Memory of each node.',
      latest.map((u) => ({ labels: node(u), value: u.sample.memoryTotalMB * 1e6 })),
    ),
    gauge(
      'hangar_node_gpu_utilization_percent',
      "Utilisation of each GPU at its node's latest sample (Azure ML's GpuUtilization).",
      perGpu((g) => g.utilizationPercent),
    ),
    gauge(
      'hangar_node_gpu_memory_used_bytes',
      "Memory in use on each GPU at its node's latest sample.",
      perGpu((g) => g.memoryUsedMB * 1e6),
    ),
    gauge(
      'hangar_node_gpu_temperature_celsius',
      "Temperature of each GPU at its node's latest sample.",
      perGpu((g) => g.temperatureC),
    ),
  ];
}
