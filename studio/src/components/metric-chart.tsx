import type { ReactNode } from 'react';

/** One logged value of a metric. */
export interface Point {
  value: number;
  step: number;
  timestamp: number;
}

const W = 360;
const H = 160;
const PAD = { l: 48, r: 12, t: 12, b: 28 };

const fmt = (n: number): string =>
  Math.abs(n) >= 1000 || (n !== 0 && Math.abs(n) < 0.01)
    ? n.toExponential(1)
    : String(Math.round(n * 1000) / 1000);

/** A line chart of a metric over steps (an SVG: no chart library, readable by its table fallback). */
export function MetricChart({ name, points }: { name: string; points: Point[] }): ReactNode {
  const sorted = [...points].sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
  const xs = sorted.map((p) => p.step);
  const ys = sorted.map((p) => p.value);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = (x: number): number =>
    PAD.l + (x1 === x0 ? (W - PAD.l - PAD.r) / 2 : ((x - x0) / (x1 - x0)) * (W - PAD.l - PAD.r));
  const sy = (y: number): number =>
    H - PAD.b - (y1 === y0 ? (H - PAD.t - PAD.b) / 2 : ((y - y0) / (y1 - y0)) * (H - PAD.t - PAD.b));
  const path = sorted
    .map((p, i) => `${i ? 'L' : 'M'}${sx(p.step).toFixed(1)},${sy(p.value).toFixed(1)}`)
    .join(' ');
  const last = sorted[sorted.length - 1];
  return (
    <figure className="chart" data-metric={name} data-points={sorted.length}>
      <figcaption>
        {name}
        {last ? ` — last ${fmt(last.value)} at step ${last.step}` : ''}
      </figcaption>
      {sorted.length === 0 ? (
        <p className="hint">No values yet.</p>
      ) : (
        <svg
          viewBox={`0 0 ${W} ${H}`}
          role="img"
          aria-label={`${name}: ${sorted.length} values from ${fmt(y0)} to ${fmt(y1)}`}
        >
          <line x1={PAD.l} y1={H - PAD.b} x2={W - PAD.r} y2={H - PAD.b} className="axis" />
          <line x1={PAD.l} y1={PAD.t} x2={PAD.l} y2={H - PAD.b} className="axis" />
          <text x={PAD.l - 4} y={sy(y1) + 4} textAnchor="end">
            {fmt(y1)}
          </text>
          {y1 !== y0 && (
            <text x={PAD.l - 4} y={sy(y0) + 4} textAnchor="end">
              {fmt(y0)}
            </text>
          )}
          <text x={sx(x0)} y={H - 8} textAnchor="middle">
            {x0}
          </text>
          {x1 !== x0 && (
            <text x={sx(x1)} y={H - 8} textAnchor="middle">
              {x1}
            </text>
          )}
          <path d={path} className="line" />
          {sorted.map((p) => (
            <circle
              key={`${p.step}-${p.timestamp}`}
              cx={sx(p.step)}
              cy={sy(p.value)}
              r={2.5}
              className="dot"
            />
          ))}
        </svg>
      )}
      <details>
        <summary>Values</summary>
        <table aria-label={`${name} values`}>
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((p) => (
              <tr key={`${p.step}-${p.timestamp}`}>
                <td>{p.step}</td>
                <td>{p.value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
