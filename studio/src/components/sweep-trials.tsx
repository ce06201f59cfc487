import { useState, type ReactNode } from 'react';
import { api } from '../lib/api.js';
import { Link } from '../lib/router.js';
import { usePoll } from '../lib/use-poll.js';
import {
  chartHeight,
  chartPad,
  chartWidth,
  fmtNumber,
  parameterNames,
  sweepChart,
  type SweepTrialView,
} from '../lib/sweep-chart.js';
import { Badge, ErrorBanner, Properties } from './ui.js';

interface SweepView {
  objective?: { primaryMetric?: string; goal?: string };
  trialsLaunched?: number;
  doneReason?: string;
  bestTrial?: { name: string; metric: number; parameters: Record<string, unknown> };
  trials?: SweepTrialView[];
}

const paramText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** The scatter of a chosen parameter against the primary metric (SVG; the table above says the same). */
function SweepScatter({ trials, metric }: { trials: SweepTrialView[]; metric: string }): ReactNode {
  const names = parameterNames(trials);
  const [chosen, setChosen] = useState<string>();
  const param = chosen && names.includes(chosen) ? chosen : names[0];
  if (!param) return null;
  const c = sweepChart(trials, param);
  const bottom = chartHeight - chartPad.b;
  return (
    <figure className="chart sweep-chart" data-param={param} data-points={c.points.length}>
      <figcaption>
        <label>
          Parameter{' '}
          <select value={param} onChange={(e) => setChosen(e.target.value)}>
            {names.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>{' '}
        against {metric}
      </figcaption>
      {c.points.length === 0 ? (
        <p className="hint">No trial has reported {metric} yet.</p>
      ) : (
        <svg
          viewBox={`0 0 ${chartWidth} ${chartHeight}`}
          role="img"
          aria-label={`${param} against ${metric}: ${c.points.length} trials, ${metric} from ${fmtNumber(c.yRange[0])} to ${fmtNumber(c.yRange[1])}`}
        >
          <line x1={chartPad.l} y1={bottom} x2={chartWidth - chartPad.r} y2={bottom} className="axis" />
          <line x1={chartPad.l} y1={chartPad.t} x2={chartPad.l} y2={bottom} className="axis" />
          {c.yTicks.map((t) => (
            <text key={t.label} x={chartPad.l - 4} y={t.y + 4} textAnchor="end">
              {t.label}
            </text>
          ))}
          {c.xTicks.map((t) => (
            <text key={t.label} x={t.x} y={chartHeight - 12} textAnchor="middle">
              {t.label}
            </text>
          ))}
          {c.points.map((p) => (
            <Link key={p.trial} to={`/jobs/${encodeURIComponent(p.trial)}`}>
              <circle cx={p.x} cy={p.y} r={5} fill="var(--accent)" fillOpacity={0.75}>
                <title>{`${p.trial}: ${param}=${paramText(p.param)}, ${metric}=${fmtNumber(p.metric)}`}</title>
              </circle>
            </Link>
          ))}
        </svg>
      )}
    </figure>
  );
}

/**
 * A sweep's trials: its objective and best trial, a table of every trial (status, sampled
 * parameters, primary metric, why it was stopped early) and a parameter/metric scatter.
 */
export function SweepTrials({ job, sweep }: { job: string; sweep: unknown }): ReactNode {
  const s = (sweep ?? {}) as SweepView;
  // The sweep view records a trial's status only once it ended; the child jobs say how running ones stand.
  const children = usePoll(() => api().jobs.children(job), 5000, [job]);
  const live = new Map((children.data ?? []).map((c) => [c.name, String(c.properties.status ?? '')]));
  const trials = s.trials ?? [];
  const metric = s.objective?.primaryMetric ?? 'metric';
  const names = parameterNames(trials);
  return (
    <>
      <h2>Sweep</h2>
      <Properties
        rows={[
          ['Objective', `${s.objective?.goal ?? ''} ${metric}`],
          ['Trials launched', String(s.trialsLaunched ?? trials.length)],
          [
            'Best trial',
            s.bestTrial ? (
              <span key="b">
                <Link to={`/jobs/${encodeURIComponent(s.bestTrial.name)}`}>{s.bestTrial.name}</Link> —{' '}
                {metric} {fmtNumber(s.bestTrial.metric)}
              </span>
            ) : (
              '—'
            ),
          ],
          ['Done because', s.doneReason ?? ''],
        ]}
      />
      <ErrorBanner error={children.error} />
      <h2>Trials</h2>
      {trials.length === 0 ? (
        <p>No trials yet.</p>
      ) : (
        <table aria-label="Trials">
          <thead>
            <tr>
              <th scope="col">Trial</th>
              <th scope="col">Status</th>
              {names.map((n) => (
                <th key={n} scope="col">
                  {n}
                </th>
              ))}
              <th scope="col">{metric}</th>
              <th scope="col">Early termination</th>
            </tr>
          </thead>
          <tbody>
            {trials.map((t) => (
              <tr key={t.name} data-best={s.bestTrial?.name === t.name ? 'true' : undefined}>
                <td>
                  {t.notCreated ? t.name : <Link to={`/jobs/${encodeURIComponent(t.name)}`}>{t.name}</Link>}
                  {s.bestTrial?.name === t.name ? ' (best)' : ''}
                </td>
                <td>
                  <Badge state={t.status ?? live.get(t.name) ?? (t.notCreated ? 'Failed' : 'Queued')} />
                </td>
                {names.map((n) => (
                  <td key={n}>{t.parameters[n] === undefined ? '' : paramText(t.parameters[n])}</td>
                ))}
                <td>{typeof t.best === 'number' ? fmtNumber(t.best) : '—'}</td>
                <td>{t.earlyTerminated ?? t.notCreated ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <SweepScatter trials={trials} metric={metric} />
    </>
  );
}
