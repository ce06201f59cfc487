import type { ReactNode } from 'react';
import { Link } from '../lib/router.js';
import { layoutPipeline, nodeHeight, nodeWidth, type PipelineStepView } from '../lib/pipeline-layout.js';
import { Badge } from './ui.js';

const stroke: Record<string, string> = {
  Completed: 'var(--ok)',
  Running: 'var(--ok)',
  Failed: 'var(--bad)',
  Canceled: 'var(--bad)',
  Queued: 'var(--busy)',
  Preparing: 'var(--busy)',
  Finalizing: 'var(--busy)',
  CancelRequested: 'var(--busy)',
};

/**
 * A pipeline's steps as a graph (left to right, edges from the step whose output a step reads),
 * each box its step's state and a link to its job; the table below says the same in words.
 */
export function PipelineGraph({ pipeline }: { pipeline: unknown }): ReactNode {
  const steps = ((pipeline as { steps?: PipelineStepView[] } | undefined)?.steps ?? []).map((s) => ({
    ...s,
    dependsOn: s.dependsOn ?? [],
  }));
  if (steps.length === 0) return null;
  const layout = layoutPipeline(steps);
  const pad = 8;
  return (
    <>
      <h2>Pipeline steps</h2>
      <svg
        className="pipeline-graph"
        role="img"
        aria-label={`Pipeline graph: ${steps.map((s) => `${s.step} ${s.phase}`).join(', ')}`}
        width={layout.width + 2 * pad}
        height={layout.height + 2 * pad}
        viewBox={`${-pad} ${-pad} ${layout.width + 2 * pad} ${layout.height + 2 * pad}`}
      >
        {layout.edges.map((e) => (
          <path
            key={`${e.from}-${e.to}`}
            d={`M${e.x1},${e.y1} C${e.x1 + 30},${e.y1} ${e.x2 - 30},${e.y2} ${e.x2},${e.y2}`}
            fill="none"
            stroke="var(--muted)"
            strokeWidth={1.5}
          />
        ))}
        {layout.nodes.map((n) => (
          <Link key={n.step} to={`/jobs/${encodeURIComponent(n.job)}`}>
            <g data-step={n.step} data-phase={n.phase}>
              <rect
                x={n.x}
                y={n.y}
                width={nodeWidth}
                height={nodeHeight}
                rx={6}
                fill="var(--soft)"
                stroke={stroke[n.phase] ?? 'var(--muted)'}
                strokeWidth={2}
                strokeDasharray={n.phase === 'Skipped' || n.phase === 'NotStarted' ? '4 3' : undefined}
              />
              <text x={n.x + 10} y={n.y + 19} fontWeight={600}>
                {n.step}
              </text>
              <text x={n.x + 10} y={n.y + 36} fontSize="0.8em" fill="var(--muted)">
                {n.phase}
              </text>
            </g>
          </Link>
        ))}
      </svg>
      <table aria-label="Pipeline steps">
        <thead>
          <tr>
            <th scope="col">Step</th>
            <th scope="col">Job</th>
            <th scope="col">State</th>
            <th scope="col">Reads from</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {steps.map((s) => (
            <tr key={s.step}>
              <td>{s.step}</td>
              <td>
                <Link to={`/jobs/${encodeURIComponent(s.job)}`}>{s.job}</Link>
              </td>
              <td>
                <Badge state={s.phase} />
              </td>
              <td>{s.dependsOn.join(', ') || '—'}</td>
              <td>{s.why ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
