import { HangarError } from '../../domain/errors/hangar-error.js';
import type { RunningAttempt } from '../../domain/nodes/agent-protocol.js';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import {
  gpuIdleAllAlong,
  jobPoints,
  nodePoints,
  retentionTiers,
  type SystemPoint,
  type SystemSample,
} from '../../domain/nodes/system-metrics.js';
import type { SamplePoint } from '../../store/store.js';
import { parseJobKey } from '../jobs/job-key.js';
import { renderFamilies, type Family } from './prometheus-text.js';
import { jobFamilies, nodeFamilies, utilisationFamilies } from './state-collectors.js';
import type { ServiceContext } from '../services/service-context.js';

/** One metric's series as the API answers it: Azure ML's name, the GPU it is for (absent: the mean), points. */
export interface SeriesView {
  name: string;
  gpu?: number;
  points: { time: string; value: number }[];
}

/** The latest sample of a node, for the Prometheus gauges. */
export interface NodeUtilisation {
  nodeId: string;
  workspace: string;
  compute: string;
  sample: SystemSample;
}

export const nodeScope = (workspace: string, compute: string, nodeId: string): string =>
  `node/${workspace}/${compute}/${nodeId}`;
const jobScope = (workspace: string, name: string): string => `job/${workspace}/${name}`;

/** Folds points by key into series, in Azure ML's names. */
function seriesOf(points: readonly SamplePoint[]): SeriesView[] {
  const byKey = new Map<string, SeriesView>();
  for (const p of points) {
    let s = byKey.get(p.key);
    if (!s) {
      const [name = p.key, gpu] = p.key.split('/');
      s = { name, ...(gpu === undefined ? {} : { gpu: Number(gpu) }), points: [] };
      byKey.set(p.key, s);
    }
    s.points.push({ time: new Date(p.t).toISOString(), value: Math.round(p.value * 1000) / 1000 });
  }
  return [...byKey.values()];
}

/** How often old samples are folded and pruned (they age by the hour: once a minute is plenty). */
const SWEEP_EVERY_MS = 60_000;

/**
 * Utilisation samples from the heartbeats: stored per node and per job under Azure ML's system
 * metric names, downsampled as they age, pruned after `metrics.retentionDays`, read back as series.
 */
export class SystemMetricsService {
  private lastSweepMs = -Infinity;
  private readonly latest = new Map<string, NodeUtilisation>();

  constructor(private readonly ctx: ServiceContext) {}

  /** Stores a heartbeat's samples; a job's share goes to the job whose attempt the node runs. */
  async record(
    node: NodeRecord,
    samples: readonly SystemSample[],
    running: readonly RunningAttempt[],
  ): Promise<void> {
    if (samples.length === 0) return;
    const cores = node.capacity?.cores ?? 1;
    const mine = new Set(running.map((r) => `${r.jobId}#${r.attempt}`));
    const points: SamplePoint[] = [];
    const add = (scope: string, ps: SystemPoint[]): void => {
      for (const p of ps) if (Number.isFinite(p.t)) points.push({ scope, ...p, resolutionMs: 0 });
    };
    for (const s of samples) {
      add(nodeScope(node.workspace, node.computeName, node.id), nodePoints(s));
      for (const j of s.jobs) {
        // Only jobs this node reports running: a node cannot write another job's metrics.
        if (!mine.has(`${j.jobId}#${j.attempt}`)) continue;
        let job: { workspace: string; name: string };
        try {
          job = parseJobKey(j.jobId);
        } catch {
          continue;
        }
        add(jobScope(job.workspace, job.name), jobPoints(s, j, cores));
      }
    }
    await this.ctx.store.samples.append(points);
    const last = samples[samples.length - 1];
    if (last)
      this.latest.set(node.id, {
        nodeId: node.id,
        workspace: node.workspace,
        compute: node.computeName,
        sample: last,
      });
    await this.sweep();
  }

  /** Downsamples and prunes at most once a minute. */
  private async sweep(): Promise<void> {
    const elapsed = this.ctx.clock.elapsedMs();
    if (elapsed - this.lastSweepMs < SWEEP_EVERY_MS) return;
    this.lastSweepMs = elapsed;
    const now = this.ctx.clock.now().getTime();
    for (const tier of retentionTiers)
      await this.ctx.store.samples.downsample(now - tier.olderThanMs, tier.bucketMs);
    await this.ctx.store.samples.prune(now - this.ctx.config.metrics.retentionDays * 86_400_000);
  }

  /** The newest sample of each node that sent one and still exists. */
  async nodeUtilisation(): Promise<NodeUtilisation[]> {
    const out: NodeUtilisation[] = [];
    for (const [id, u] of this.latest) {
      if (await this.ctx.store.nodes.get(id)) out.push(u);
      else this.latest.delete(id);
    }
    return out;
  }

  /** Everything GET /metrics shows: the store's jobs and nodes, node utilisation, and `measured` (latencies). */
  async prometheusText(measured: readonly Family[]): Promise<string> {
    const [jobs, nodes, latest] = await Promise.all([
      this.ctx.store.jobs.all({}),
      this.ctx.store.nodes.all({}),
      this.nodeUtilisation(),
    ]);
    return renderFamilies([
      ...jobFamilies(jobs),
      ...nodeFamilies(nodes),
      ...utilisationFamilies(latest),
      ...measured,
    ]);
  }

  /** A node's series (the node may be gone: its samples stay until they age out). */
  async forNode(workspace: string, compute: string, nodeId: string, sinceMs?: number): Promise<SeriesView[]> {
    return seriesOf(await this.ctx.store.samples.read(nodeScope(workspace, compute, nodeId), sinceMs));
  }

  /** A job's series and hints (a GPU left idle all along). */
  async forJob(
    workspace: string,
    name: string,
    sinceMs?: number,
  ): Promise<{ metrics: SeriesView[]; hints: string[] }> {
    const job = await this.ctx.store.jobs.get(workspace, name);
    if (!job)
      throw new HangarError('NotFound', `Job '${name}' does not exist in workspace '${workspace}'.`, 'name');
    const metrics = seriesOf(await this.ctx.store.samples.read(jobScope(workspace, name), sinceMs));
    const gpu = metrics.find((m) => m.name === 'GpuUtilization' && m.gpu === undefined);
    const hints: string[] = [];
    if (gpu && gpuIdleAllAlong(gpu.points.map((p) => p.value)))
      hints.push(
        `GPU idle: the job's GPUs stayed at 0% utilisation in all ${gpu.points.length} samples${['Completed', 'Failed', 'Canceled'].includes(job.status) ? '' : ' so far'}; check that the code moves its model and data to the GPU (e.g. model.to("cuda")), or pick a CPU size.`,
      );
    return { metrics, hints };
  }
}
