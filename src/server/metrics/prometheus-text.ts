/**
 * The Prometheus text exposition format (version 0.0.4): families with HELP and TYPE lines,
 * counters, gauges and histograms with labels. Just what Hangar's /metrics needs.
 */

export type Labels = Record<string, string>;

/** One metric family ready to print. */
export interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  samples: { suffix?: string; labels: Labels; value: number }[];
}

const escapeLabel = (v: string): string =>
  v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

/** Prints families in the text format. */
export function renderFamilies(families: readonly Family[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples)
      lines.push(`${f.name}${s.suffix ?? ''}${formatLabels(s.labels)} ${formatValue(s.value)}`);
  }
  return `${lines.join('\n')}\n`;
}

const key = (labels: Labels): string => JSON.stringify(Object.entries(labels).sort());

/** Cumulative histogram of observations per label set (seconds, by default buckets from 5 ms to 5 min). */
export class Histogram {
  private readonly series = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; count: number }
  >();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[] = [
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
    ],
  ) {}

  observe(labels: Labels, value: number): void {
    const k = key(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    for (const [i, b] of this.buckets.entries()) if (value <= b) s.counts[i] = (s.counts[i] ?? 0) + 1;
    s.sum += value;
    s.count += 1;
  }

  family(): Family {
    return histogramFamily(this.name, this.help, this.buckets, [...this.series.values()]);
  }
}

/** A histogram family from bucket counts (cumulative), sums and counts per label set. */
export function histogramFamily(
  name: string,
  help: string,
  buckets: readonly number[],
  series: readonly { labels: Labels; counts: readonly number[]; sum: number; count: number }[],
): Family {
  const samples: Family['samples'] = [];
  for (const s of series) {
    for (const [i, b] of buckets.entries())
      samples.push({
        suffix: '_bucket',
        labels: { ...s.labels, le: formatValue(b) },
        value: s.counts[i] ?? 0,
      });
    samples.push({ suffix: '_bucket', labels: { ...s.labels, le: '+Inf' }, value: s.count });
    samples.push({ suffix: '_sum', labels: s.labels, value: s.sum });
    samples.push({ suffix: '_count', labels: s.labels, value: s.count });
  }
  return { name, help, type: 'histogram', samples };
}

/** A histogram of values known all at once (computed at scrape time from records). */
export function histogramOf(
  name: string,
  help: string,
  buckets: readonly number[],
  values: readonly { labels: Labels; value: number }[],
): Family {
  const h = new Histogram(name, help, buckets);
  for (const v of values) h.observe(v.labels, v.value);
  return h.family();
}
