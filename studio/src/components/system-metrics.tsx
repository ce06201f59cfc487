import { useState, type ReactNode } from 'react';
import { api } from '../lib/api.js';
import { usePoll } from '../lib/use-poll.js';
import { MetricChart } from './metric-chart.js';
import { ErrorBanner } from './ui.js';

/** One system metric series as the server answers it (Azure ML's names; `gpu` for one GPU). */
interface Series {
  name: string;
  gpu?: number;
  points: { time: string; value: number }[];
}

/** The series worth a chart, in this order; the rest are in the CLI and API. */
const charted = [
  'CpuUtilizationPercentage',
  'CpuMemoryUtilizationPercentage',
  'GpuUtilization',
  'GpuMemoryUtilization',
];

function Charts({ series, hints }: { series: Series[]; hints: string[] }): ReactNode {
  // Each GPU where there are several, else the one series (the mean over the node's or job's GPUs).
  const shown = charted.flatMap((name) => {
    const perGpu = series.filter((s) => s.name === name && s.gpu !== undefined);
    if (perGpu.length > 1) return perGpu.sort((a, b) => (a.gpu ?? 0) - (b.gpu ?? 0));
    const mean = series.find((s) => s.name === name && s.gpu === undefined);
    return mean ? [mean] : perGpu;
  });
  return (
    <>
      {hints.map((h) => (
        <p key={h} className="hint" role="note">
          {h}
        </p>
      ))}
      <div className="charts">
        {shown.length === 0 ? (
          <p>No utilisation samples yet.</p>
        ) : (
          shown.map((s) => (
            <MetricChart
              key={`${s.name}/${s.gpu ?? ''}`}
              name={s.gpu === undefined ? s.name : `${s.name} (GPU ${s.gpu})`}
              // Samples in time order: the x axis counts samples.
              points={s.points.map((p, i) => ({ value: p.value, step: i, timestamp: Date.parse(p.time) }))}
            />
          ))
        )}
      </div>
    </>
  );
}

const ws = (): string => `/api/workspaces/${encodeURIComponent(api().workspace)}`;

/** A job's CPU, memory and GPU utilisation, with hints (a GPU idle all along). */
export function JobSystemMetrics({ name, live }: { name: string; live: boolean }): ReactNode {
  const data = usePoll(
    () =>
      api().http.request<{ value: Series[]; hints: string[] }>(
        'GET',
        `${ws()}/jobs/${encodeURIComponent(name)}/systemMetrics`,
      ),
    live ? 5000 : 0,
    [name, live],
  );
  return (
    <section aria-label="Utilisation">
      <ErrorBanner error={data.error} />
      <Charts series={data.data?.value ?? []} hints={data.data?.hints ?? []} />
    </section>
  );
}

/** A node's utilisation, read only once asked for (a table of nodes would otherwise poll each). */
export function NodeUtilisation({ compute, nodeId }: { compute: string; nodeId: string }): ReactNode {
  const [open, setOpen] = useState(false);
  return open ? (
    <NodeCharts compute={compute} nodeId={nodeId} onClose={() => setOpen(false)} />
  ) : (
    <button type="button" onClick={() => setOpen(true)} aria-label={`Utilisation of ${nodeId}`}>
      Utilisation
    </button>
  );
}

function NodeCharts(props: { compute: string; nodeId: string; onClose: () => void }): ReactNode {
  const data = usePoll(
    () =>
      api().http.request<{ value: Series[] }>(
        'GET',
        `${ws()}/computes/${encodeURIComponent(props.compute)}/nodes/${encodeURIComponent(props.nodeId)}/metrics`,
      ),
    5000,
    [props.compute, props.nodeId],
  );
  return (
    <div>
      <button type="button" onClick={props.onClose}>
        Hide utilisation
      </button>
      <ErrorBanner error={data.error} />
      <Charts series={data.data?.value ?? []} hints={[]} />
    </div>
  );
}
