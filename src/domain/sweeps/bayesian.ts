import { normalQuantile } from './search-space.js';
import { seededRandom } from './samplers.js';

/** A trial the Bayesian sampler learns from: its unit point and, once it has one, its objective value. */
export interface Observation {
  unit: readonly number[];
  /** Best primary metric so far; undefined while the trial has logged none (still running). */
  value?: number;
  /** Still running: its point is taken, so suggestions steer away from it (see suggestBayesian). */
  running: boolean;
}

/** How many trials are sampled at random before the surrogate takes over. */
export function bayesianWarmup(dimensionCount: number): number {
  return Math.max(5, 2 * dimensionCount);
}

const lengthScale = 0.25;
const noise = 1e-4;

function kernel(a: readonly number[], b: readonly number[]): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += ((a[i] ?? 0) - (b[i] ?? 0)) ** 2;
  return Math.exp(-d / (2 * lengthScale * lengthScale));
}

/** Cholesky factor of a symmetric positive-definite matrix (lower triangle). */
function cholesky(m: number[][]): number[][] {
  const n = m.length;
  const l = m.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = m[i]?.[j] ?? 0;
      for (let k = 0; k < j; k++) s -= (l[i]?.[k] ?? 0) * (l[j]?.[k] ?? 0);
      const row = l[i] as number[];
      row[j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / (l[j]?.[j] ?? 1);
    }
  return l;
}

function solveLower(l: number[][], b: number[]): number[] {
  const x: number[] = [];
  for (let i = 0; i < b.length; i++) {
    let s = b[i] ?? 0;
    for (let k = 0; k < i; k++) s -= (l[i]?.[k] ?? 0) * (x[k] ?? 0);
    x.push(s / (l[i]?.[i] ?? 1));
  }
  return x;
}

function solveUpper(l: number[][], b: number[]): number[] {
  const n = b.length;
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i] ?? 0;
    for (let k = i + 1; k < n; k++) s -= (l[k]?.[i] ?? 0) * (x[k] ?? 0);
    x[i] = s / (l[i]?.[i] ?? 1);
  }
  return x;
}

const normalPdf = (z: number): number => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
function normalCdf(z: number): number {
  // Abramowitz–Stegun 7.1.26 via erf.
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/**
 * The next unit point of a Bayesian sweep: a Gaussian-process surrogate (RBF kernel on the unit
 * cube) and expected improvement, maximised over seeded random candidates and perturbations of
 * the best points. Running trials without a value are "constant liars": they count as observed at
 * the current best, so concurrent suggestions spread out instead of piling onto one spot. Before
 * `bayesianWarmup` trials exist, and for the rest of the candidates' randomness, `random` (seeded by
 * the caller per trial) drives it, so the suggestion is a pure function of its inputs.
 */
export function suggestBayesian(
  dimensionCount: number,
  observations: readonly Observation[],
  goal: 'maximize' | 'minimize',
  random: () => number,
): number[] {
  const uniformPoint = (): number[] => Array.from({ length: dimensionCount }, () => random());
  const valued = observations.filter((o) => o.value !== undefined);
  if (observations.length < bayesianWarmup(dimensionCount) || valued.length < 2) return uniformPoint();
  // Internally maximise; the most recent 200 points keep the O(n³) fit small.
  const sign = goal === 'maximize' ? 1 : -1;
  const ys = valued.map((o) => sign * (o.value ?? 0));
  const best = Math.max(...ys);
  const data = observations
    .map((o) => ({ x: o.unit, y: o.value === undefined ? best : sign * o.value }))
    .slice(-200);
  const mean = data.reduce((s, d) => s + d.y, 0) / data.length;
  const sd = Math.sqrt(data.reduce((s, d) => s + (d.y - mean) ** 2, 0) / data.length) || 1;
  const y = data.map((d) => (d.y - mean) / sd);
  const yBest = (best - mean) / sd;
  const k = data.map((a, i) => data.map((b, j) => kernel(a.x, b.x) + (i === j ? noise : 0)));
  const l = cholesky(k);
  const alpha = solveUpper(l, solveLower(l, y));
  const ei = (x: readonly number[]): number => {
    const ks = data.map((d) => kernel(x, d.x));
    const mu = ks.reduce((s, v, i) => s + v * (alpha[i] ?? 0), 0);
    const v = solveLower(l, ks);
    const variance = Math.max(1e-12, 1 - v.reduce((s, a) => s + a * a, 0));
    const sigma = Math.sqrt(variance);
    const z = (mu - yBest - 0.01) / sigma;
    return (mu - yBest - 0.01) * normalCdf(z) + sigma * normalPdf(z);
  };
  const candidates: number[][] = [];
  for (let i = 0; i < 300; i++) candidates.push(uniformPoint());
  const ranked = [...data].sort((a, b) => b.y - a.y).slice(0, 5);
  for (const r of ranked)
    for (let i = 0; i < 40; i++)
      candidates.push(r.x.map((c) => Math.min(0.999999, Math.max(0, c + 0.08 * normalQuantile(random())))));
  let chosen = candidates[0] ?? uniformPoint();
  let bestEi = -Infinity;
  for (const c of candidates) {
    const e = ei(c);
    if (e > bestEi) {
      bestEi = e;
      chosen = c;
    }
  }
  return chosen;
}

/** A seeded generator for trial `index` of a sweep with `seed` (so a restart suggests the same point). */
export function trialRandom(seed: number, index: number): () => number {
  return seededRandom((seed ^ Math.imul(index + 7, 0x27d4eb2d)) >>> 0);
}
