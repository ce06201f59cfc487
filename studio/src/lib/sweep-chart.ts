/** One trial of a sweep, as the job view's `sweep.trials` lists it. */
export interface SweepTrialView {
  name: string;
  parameters: Record<string, string | number | boolean>;
  status?: string;
  best?: number;
  earlyTerminated?: string;
  notCreated?: string;
}

/** A trial placed on the chart (SVG coordinates) with what it shows. */
export interface ChartPoint {
  trial: string;
  x: number;
  y: number;
  param: string | number | boolean;
  metric: number;
}

/** The scatter of one parameter against the primary metric. */
export interface SweepChart {
  points: ChartPoint[];
  /** Numeric parameters get a linear axis; any other value spreads the distinct values evenly. */
  kind: 'numeric' | 'categorical';
  xTicks: { x: number; label: string }[];
  yRange: [number, number];
  /** The metric's range mapped to SVG y (top, bottom). */
  yTicks: { y: number; label: string }[];
}

export const chartWidth = 420;
export const chartHeight = 220;
export const chartPad = { l: 56, r: 16, t: 12, b: 32 };

/** A short label for a number (exponent form when very large or small). */
export function fmtNumber(n: number): string {
  return Math.abs(n) >= 10000 || (n !== 0 && Math.abs(n) < 0.001)
    ? n.toExponential(2)
    : String(Math.round(n * 10000) / 10000);
}

/** Every parameter name the trials sampled, in first-seen order. */
export function parameterNames(trials: SweepTrialView[]): string[] {
  return [...new Set(trials.flatMap((t) => Object.keys(t.parameters)))];
}

/**
 * Places each trial that has both the parameter and a metric value: x by the parameter (linear
 * when every value is a number, otherwise one slot per distinct value), y by the metric (higher up).
 */
export function sweepChart(trials: SweepTrialView[], param: string): SweepChart {
  const plotted = trials.filter(
    (t) => t.parameters[param] !== undefined && typeof t.best === 'number' && Number.isFinite(t.best),
  );
  const values = plotted.map((t) => t.parameters[param] as string | number | boolean);
  const metrics = plotted.map((t) => t.best as number);
  const numeric = values.length > 0 && values.every((v) => typeof v === 'number');
  const innerW = chartWidth - chartPad.l - chartPad.r;
  const innerH = chartHeight - chartPad.t - chartPad.b;

  let sx: (v: string | number | boolean) => number;
  let xTicks: { x: number; label: string }[];
  if (numeric) {
    const nums = values;
    const [x0, x1] = [Math.min(...nums), Math.max(...nums)];
    sx = (v) => chartPad.l + (x1 === x0 ? innerW / 2 : (((v as number) - x0) / (x1 - x0)) * innerW);
    xTicks =
      x1 === x0
        ? [{ x: sx(x0), label: fmtNumber(x0) }]
        : [x0, x1].map((v) => ({ x: sx(v), label: fmtNumber(v) }));
  } else {
    const categories = [...new Set(values.map(String))];
    const slot = innerW / Math.max(categories.length, 1);
    sx = (v) => chartPad.l + slot * (categories.indexOf(String(v)) + 0.5);
    xTicks = categories.map((c) => ({ x: sx(c), label: c }));
  }

  const [y0, y1] = metrics.length ? [Math.min(...metrics), Math.max(...metrics)] : [0, 0];
  const sy = (m: number): number =>
    chartHeight - chartPad.b - (y1 === y0 ? innerH / 2 : ((m - y0) / (y1 - y0)) * innerH);
  const yTicks =
    metrics.length === 0
      ? []
      : y1 === y0
        ? [{ y: sy(y0), label: fmtNumber(y0) }]
        : [y0, y1].map((m) => ({ y: sy(m), label: fmtNumber(m) }));

  return {
    kind: numeric || values.length === 0 ? 'numeric' : 'categorical',
    points: plotted.map((t, i) => ({
      trial: t.name,
      x: sx(values[i] as string | number | boolean),
      y: sy(metrics[i] as number),
      param: values[i] as string | number | boolean,
      metric: metrics[i] as number,
    })),
    xTicks,
    yRange: [y0, y1],
    yTicks,
  };
}
