/** az ml's early termination policies (`early_termination:`), as parsed. */
export type TerminationPolicy =
  | ({ type: 'bandit' } & Schedule & ({ slack_factor: number } | { slack_amount: number }))
  | ({ type: 'median_stopping' } & Schedule)
  | ({ type: 'truncation_selection'; truncation_percentage: number } & Schedule);

/** When a policy looks at a trial: at every multiple of evaluation_interval that is ≥ delay_evaluation. */
export interface Schedule {
  /** ≥ 1 (az ml's 0 or absent is read as 1; see docs/sweeps.md). */
  evaluation_interval: number;
  delay_evaluation: number;
}

export type Goal = 'maximize' | 'minimize';

/** One trial's primary metric, in the order it was logged: value i is interval i + 1. */
export interface TrialHistory {
  trial: string;
  values: readonly number[];
  /** Only running trials can be stopped; ended ones still count as peers. */
  running: boolean;
}

/** A policy's verdict on one trial, with the numbers that made it (for the trial's event). */
export interface StopDecision {
  trial: string;
  interval: number;
  /** "best 0.61 < 0.8/1.2 = 0.667 at interval 10" */
  message: string;
}

/** Is interval n (1-based) one the policy evaluates at? Interval 2, delay 5 ⇒ 6, 8, 10, … */
export function isEvaluationPoint(s: Schedule, n: number): boolean {
  const every = Math.max(1, s.evaluation_interval);
  return n >= 1 && n >= s.delay_evaluation && n % every === 0;
}

/** The latest evaluation point at or before interval n, or undefined. */
export function latestEvaluationPoint(s: Schedule, n: number): number | undefined {
  const every = Math.max(1, s.evaluation_interval);
  const k = Math.floor(n / every) * every;
  return k >= 1 && k >= s.delay_evaluation ? k : undefined;
}

const better = (goal: Goal) => (a: number, b: number) => (goal === 'maximize' ? a > b : a < b);

/** The best value among the first k values (maximum when maximising, minimum when minimising). */
export function bestUpTo(values: readonly number[], k: number, goal: Goal): number {
  const head = values.slice(0, k);
  return goal === 'maximize' ? Math.max(...head) : Math.min(...head);
}

/** Formats a number for an explanation: up to 3 decimals, trailing zeros dropped. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const r = Math.round(x * 1000) / 1000;
  return Object.is(r, -0) ? '0' : String(r);
}

/**
 * Which running trials the policy stops now. Pure and idempotent: each running trial is judged at
 * its latest evaluation point k (intervals it logged, rounded down to the schedule), against every
 * trial, running or ended, that has logged at least k values, using each one's best value over
 * intervals 1..k. A trial already past k when first seen is judged at k, not at points in between.
 */
export function evaluatePolicy(
  policy: TerminationPolicy,
  goal: Goal,
  histories: readonly TrialHistory[],
): StopDecision[] {
  const decisions: StopDecision[] = [];
  for (const h of histories) {
    if (!h.running || h.values.length === 0) continue;
    const k = latestEvaluationPoint(policy, h.values.length);
    if (k === undefined) continue;
    const peers = histories.filter((p) => p.values.length >= k);
    const verdict =
      policy.type === 'bandit'
        ? bandit(policy, goal, h, peers, k)
        : policy.type === 'median_stopping'
          ? median(goal, h, peers, k)
          : truncation(policy.truncation_percentage, goal, h, peers, k);
    if (verdict) decisions.push({ trial: h.trial, interval: k, message: verdict });
  }
  return decisions;
}

/**
 * Bandit: stop a trial whose best value up to interval k is outside the slack of the best trial's.
 * Maximising, slack_factor s: below best/(1+s) (Azure's example: 0.8/1.2 = 0.667); slack_amount a:
 * below best − a. Minimising (Azure is silent; symmetric): above best·(1+s), or above best + a.
 * A factor is applied to |best| so a negative metric moves the bound the right way.
 */
function bandit(
  policy: Extract<TerminationPolicy, { type: 'bandit' }>,
  goal: Goal,
  trial: TrialHistory,
  peers: readonly TrialHistory[],
  k: number,
): string | undefined {
  const mine = bestUpTo(trial.values, k, goal);
  const bests = peers.map((p) => bestUpTo(p.values, k, goal));
  const best = bests.reduce((a, b) => (better(goal)(b, a) ? b : a), mine);
  const max = goal === 'maximize';
  let bound: number;
  let formula: string;
  if ('slack_factor' in policy) {
    const s = policy.slack_factor;
    if (max) {
      bound = best >= 0 ? best / (1 + s) : best - (Math.abs(best) * s) / (1 + s);
      formula =
        best >= 0 ? `${fmt(best)}/${fmt(1 + s)}` : `${fmt(best)} - |${fmt(best)}|·${fmt(s)}/${fmt(1 + s)}`;
    } else {
      bound = best + Math.abs(best) * s;
      formula = best >= 0 ? `${fmt(best)}×${fmt(1 + s)}` : `${fmt(best)} + |${fmt(best)}|×${fmt(s)}`;
    }
  } else {
    const a = policy.slack_amount;
    bound = max ? best - a : best + a;
    formula = max ? `${fmt(best)} - ${fmt(a)}` : `${fmt(best)} + ${fmt(a)}`;
  }
  const outside = max ? mine < bound : mine > bound;
  if (!outside) return undefined;
  return `best ${fmt(mine)} ${max ? '<' : '>'} ${formula} = ${fmt(bound)} at interval ${k} (bandit, ${'slack_factor' in policy ? `slack_factor ${fmt(policy.slack_factor)}` : `slack_amount ${fmt(policy.slack_amount)}`}, best trial's best ${fmt(best)})`;
}

function medianOf(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

/**
 * Median stopping: stop a trial whose best value up to k is worse than the median of the other
 * trials' running averages over intervals 1..k. Which runs count (Azure says "all runs"): every
 * other trial, running or ended, that logged at least k values; the trial itself is left out (as
 * Ray Tune does), and at least two others are needed before anything is stopped.
 */
function median(
  goal: Goal,
  trial: TrialHistory,
  peers: readonly TrialHistory[],
  k: number,
): string | undefined {
  const others = peers.filter((p) => p.trial !== trial.trial);
  if (others.length < 2) return undefined;
  const averages = others.map((p) => p.values.slice(0, k).reduce((s, v) => s + v, 0) / k);
  const m = medianOf(averages);
  const mine = bestUpTo(trial.values, k, goal);
  const worse = goal === 'maximize' ? mine < m : mine > m;
  if (!worse) return undefined;
  return `best ${fmt(mine)} ${goal === 'maximize' ? '<' : '>'} median ${fmt(m)} of ${others.length} other trials' running averages at interval ${k} (median_stopping)`;
}

/**
 * Truncation selection: rank the trials that reached interval k by their best value up to k and
 * stop this one if it is among the lowest truncation_percentage % (floor(n · p / 100) trials;
 * nothing is stopped while that is 0). Ties keep the earlier-listed trial.
 */
function truncation(
  percentage: number,
  goal: Goal,
  trial: TrialHistory,
  peers: readonly TrialHistory[],
  k: number,
): string | undefined {
  const cut = Math.floor((peers.length * percentage) / 100);
  if (cut === 0) return undefined;
  const ranked = peers
    .map((p, i) => ({ p, i, v: bestUpTo(p.values, k, goal) }))
    .sort((a, b) => (a.v === b.v ? a.i - b.i : better(goal)(a.v, b.v) ? -1 : 1));
  const rank = ranked.findIndex((r) => r.p.trial === trial.trial);
  if (rank < ranked.length - cut) return undefined;
  const mine = ranked[rank]?.v ?? NaN;
  const line = ranked[ranked.length - cut - 1]?.v ?? NaN;
  return `best ${fmt(mine)} ranks ${rank + 1} of ${ranked.length} at interval ${k}, in the lowest ${fmt(percentage)}% (${cut} trial${cut === 1 ? '' : 's'}; the cut is below ${fmt(line)}) (truncation_selection)`;
}
