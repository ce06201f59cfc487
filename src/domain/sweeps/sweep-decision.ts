import { suggestBayesian, trialRandom, type Observation } from './bayesian.js';
import { bestUpTo, evaluatePolicy, fmt, type TrialHistory } from './policies.js';
import { gridPoint, gridSize, randomPoint, sobolPoint } from './samplers.js';
import { dimensions, paramsAt, type Params } from './search-space.js';
import type { SweepConfig } from './sweep-spec.js';

/** Job states as the sweep sees its trials (a subset of JobState, kept here so the domain stays small). */
export type TrialStatus =
  | 'NotStarted'
  | 'Queued'
  | 'Preparing'
  | 'Running'
  | 'Finalizing'
  | 'Completed'
  | 'Failed'
  | 'CancelRequested'
  | 'Canceled'
  | 'NotResponding';

const ended = (s: TrialStatus | undefined): boolean =>
  s === 'Completed' || s === 'Failed' || s === 'Canceled';

/** One sampled trial, recorded on the sweep before its job is created (so the budget survives crashes). */
export interface SweepTrial {
  index: number;
  name: string;
  params: Params;
  /** Its point of the unit cube (the Bayesian sampler learns from these). */
  unit: number[];
  sampledAt: string;
  /** Stopped by the early-termination policy, with the numbers. */
  stopped?: { interval: number; message: string; at: string };
  /** The trial ended without ever logging the primary metric: what it did log. */
  flagged?: string;
  /** Its job could not be created (the reason); it counts against the budget as a failed trial. */
  createFailed?: string;
  /** Summary once its job ended: never read again from the job. */
  ended?: { status: 'Completed' | 'Failed' | 'Canceled'; best?: number; intervals: number; at: string };
}

/** The sweep's state, kept on its job record (`JobRecord.sweep`): the controller's whole memory. */
export interface SweepState {
  config: SweepConfig;
  /** The sampling seed (the user's, or one drawn at submission), so sampling is reproducible. */
  seed: number;
  trials: SweepTrial[];
  /** The completed trial with the best primary metric (best value it logged). */
  best?: { trial: string; value: number; params: Params };
  /** Why no more trials are launched (budget used, grid exhausted, timeout). */
  doneReason?: string;
  /** The snapshots the client uploaded (trial code, local inputs), shared by every trial. */
  snapshots: { codeSnapshotId?: string; inputSnapshots: Record<string, string> };
}

/** What the controller observes of one trial's job. */
export interface ObservedTrial {
  status: TrialStatus;
  /** Primary metric values in logged order (interval i + 1 is value i). */
  values: readonly number[];
  /** Every metric name it logged (for the flag when the primary one never appears). */
  loggedKeys: readonly string[];
  error?: string;
}

/** Everything one decision reads. */
export interface SweepSnapshot {
  state: SweepState;
  /** The sweep job: canceled / ended (then trials are stopped, nothing launched). */
  parent: { status: TrialStatus; startTime?: string; createdAt: string };
  /** Observed trial jobs by name; a recorded trial missing here has no job yet. */
  trials: ReadonlyMap<string, ObservedTrial>;
  now: Date;
  sweepName: string;
}

/** What the controller does after one decision; the state is written first, then the rest, all idempotent. */
export interface SweepDecision {
  state: SweepState;
  /** Recorded trials without a job: create them (deterministic names; an existing one is left alone). */
  create: SweepTrial[];
  /** Running trials to cancel, and why (policy numbers, timeout, the sweep canceled). */
  cancel: { trial: string; message: string }[];
  /** Events to record on trials, made by this decision only (so none is written twice). */
  events: { trial: string; reason: 'EarlyTerminated' | 'PrimaryMetricMissing'; message: string }[];
  /** Trials just ended after a policy stop: their job's reason becomes the policy's numbers. */
  annotate: { trial: string; message: string }[];
  /** The sweep job's status to show; undefined leaves it. */
  parent?: { status: 'Running' | 'Completed' | 'Failed' | 'Canceled'; reason: string; startTime?: string };
}

/** Trial i's job name. */
export function trialName(sweep: string, index: number): string {
  return `${sweep}_trial${index}`;
}

function observations(
  state: SweepState,
  trials: ReadonlyMap<string, ObservedTrial>,
  goal: SweepConfig['objective']['goal'],
): Observation[] {
  return state.trials.map((t) => {
    const o = trials.get(t.name);
    const values = o?.values ?? [];
    const value = t.ended?.best ?? (values.length > 0 ? bestUpTo(values, values.length, goal) : undefined);
    return {
      unit: t.unit,
      ...(value === undefined ? {} : { value }),
      running: !t.ended && !ended(o?.status),
    };
  });
}

/** The unit point of trial `index`, or undefined when the sampler has no more (grid exhausted). */
function samplePoint(state: SweepState, index: number, obs: Observation[]): number[] | undefined {
  const { sampling, searchSpace, objective } = state.config;
  if (sampling.type === 'grid') return gridPoint(searchSpace, index);
  if (sampling.type === 'bayesian')
    return suggestBayesian(
      dimensions(searchSpace).length,
      obs,
      objective.goal,
      trialRandom(state.seed, index),
    );
  return sampling.rule === 'sobol'
    ? sobolPoint(searchSpace, state.seed, index)
    : randomPoint(searchSpace, state.seed, index);
}

/**
 * One reconcile of a sweep, pure: summarise trials that ended (flagging a missing primary metric),
 * apply the early-termination policy to running ones, stop everything on timeout or cancel, launch
 * new trials up to max_concurrent_trials and never past max_total_trials (the count is the
 * recorded trials, so restarts and preemptions cannot add any), pick the best completed trial, and
 * say what the sweep job shows.
 */
export function decideSweep(s: SweepSnapshot): SweepDecision {
  const { config } = s.state;
  const goal = config.objective.goal;
  const at = s.now.toISOString();
  const state: SweepState = { ...s.state, trials: s.state.trials.map((t) => ({ ...t })) };
  const decision: SweepDecision = { state, create: [], cancel: [], events: [], annotate: [] };
  const observed = (name: string): ObservedTrial | undefined => s.trials.get(name);

  // Trials that ended: summarised once (then never read again), flagged when the metric never came.
  for (const t of state.trials) {
    const o = observed(t.name);
    if (t.ended || !o || !ended(o.status)) continue;
    const best = o.values.length > 0 ? bestUpTo(o.values, o.values.length, goal) : undefined;
    t.ended = {
      status: o.status as 'Completed' | 'Failed' | 'Canceled',
      ...(best === undefined ? {} : { best }),
      intervals: o.values.length,
      at,
    };
    if (t.stopped)
      decision.annotate.push({
        trial: t.name,
        message: `canceled by the sweep's early-termination policy: ${t.stopped.message}`,
      });
    if (o.values.length === 0 && o.status !== 'Canceled') {
      const logged = o.loggedKeys.length > 0 ? o.loggedKeys.join(', ') : 'no metrics at all';
      t.flagged = `primary metric '${config.objective.primaryMetric}' was never logged; it logged: ${logged} (objective.primary_metric must match the name passed to mlflow.log_metric)`;
      decision.events.push({ trial: t.name, reason: 'PrimaryMetricMissing', message: t.flagged });
    }
  }
  for (const t of state.trials)
    if (!t.ended && t.createFailed) t.ended = { status: 'Failed', intervals: 0, at };

  const parentOver = ended(s.parent.status) || s.parent.status === 'CancelRequested';
  const started = s.parent.startTime ?? s.state.trials[0]?.sampledAt;
  const timedOut =
    started !== undefined && s.now.getTime() - Date.parse(started) >= config.limits.timeoutSeconds * 1000;
  const active = state.trials.filter((t) => !t.ended);

  if (parentOver || timedOut) {
    const why = parentOver
      ? 'the sweep was canceled'
      : `limits.timeout (${config.limits.timeoutSeconds} s) of the sweep was reached`;
    for (const t of active)
      if (!observed(t.name))
        // Recorded but never created: it will not be now, and it must not hold the sweep open.
        t.ended = { status: 'Canceled', intervals: 0, at };
      else if (!ended(observed(t.name)?.status)) decision.cancel.push({ trial: t.name, message: why });
    if (timedOut && !state.doneReason) state.doneReason = why;
  } else if (config.policy) {
    // The policy over every trial's history; only running, not yet stopped trials can be stopped.
    const histories: TrialHistory[] = state.trials
      .map((t) => ({ t, o: observed(t.name) }))
      .filter(({ o }) => o !== undefined)
      .map(({ t, o }) => ({
        trial: t.name,
        values: o?.values ?? [],
        running: !t.ended && !t.stopped && !ended(o?.status),
      }));
    for (const d of evaluatePolicy(config.policy, goal, histories)) {
      const t = state.trials.find((x) => x.name === d.trial);
      if (!t) continue;
      t.stopped = { interval: d.interval, message: d.message, at };
      decision.events.push({
        trial: t.name,
        reason: 'EarlyTerminated',
        message: `canceled by the early-termination policy: ${d.message}`,
      });
    }
  }
  // A stopped trial is canceled until it has ended (the cancel is idempotent, so a crash just repeats it).
  for (const t of state.trials)
    if (
      t.stopped &&
      !t.ended &&
      observed(t.name) &&
      !ended(observed(t.name)?.status) &&
      !decision.cancel.some((c) => c.trial === t.name)
    )
      decision.cancel.push({ trial: t.name, message: t.stopped.message });

  // Launch: never past max_total_trials, at most max_concurrent_trials not ended.
  if (!parentOver && !timedOut) {
    const limit = config.limits;
    const gridTotal = config.sampling.type === 'grid' ? gridSize(config.searchSpace) : Infinity;
    const total = Math.min(limit.maxTotalTrials, gridTotal);
    const obs = observations(state, s.trials, goal);
    let running = state.trials.filter((t) => !t.ended).length;
    while (state.trials.length < total && running < limit.maxConcurrentTrials) {
      const index = state.trials.length;
      const unit = samplePoint(state, index, obs);
      if (!unit) break;
      const trial: SweepTrial = {
        index,
        name: trialName(s.sweepName, index),
        params: paramsAt(config.searchSpace, unit),
        unit,
        sampledAt: at,
      };
      state.trials.push(trial);
      obs.push({ unit, running: true });
      running++;
    }
    if (state.trials.length >= total && !state.doneReason)
      state.doneReason =
        total === gridTotal && gridTotal < limit.maxTotalTrials
          ? `every one of the ${gridTotal} grid points has a trial`
          : `limits.max_total_trials (${limit.maxTotalTrials}) trials launched`;
  }
  // Every recorded trial without a job gets one (new ones, and any a crash left uncreated).
  if (!parentOver)
    decision.create = state.trials.filter(
      (t) => !t.ended && !t.stopped && !observed(t.name) && !t.createFailed,
    );

  // Best: the completed trial with the best value it logged.
  for (const t of state.trials) {
    if (t.ended?.status !== 'Completed' || t.ended.best === undefined) continue;
    const b = state.best;
    if (!b || (goal === 'maximize' ? t.ended.best > b.value : t.ended.best < b.value))
      state.best = { trial: t.name, value: t.ended.best, params: t.params };
  }
  decision.parent = parentView(s, state, timedOut);
  return decision;
}

function parentView(s: SweepSnapshot, state: SweepState, timedOut: boolean): SweepDecision['parent'] {
  if (ended(s.parent.status) || s.parent.status === 'CancelRequested') return undefined;
  const counts = new Map<string, number>();
  for (const t of state.trials) {
    const o = s.trials.get(t.name);
    const k = t.stopped
      ? 'stopped early'
      : t.ended
        ? t.ended.status.toLowerCase()
        : (o?.status ?? 'created').toLowerCase();
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const { config } = state;
  const summary = `${state.trials.length} of ${config.limits.maxTotalTrials} trials (${[...counts].map(([k, n]) => `${n} ${k}`).join(', ') || 'none yet'})`;
  const best = state.best
    ? `; best ${config.objective.primaryMetric} ${fmt(state.best.value)} (${state.best.trial})`
    : '';
  const allEnded = state.trials.every((t) => t.ended);
  const startTime = s.parent.startTime ?? (state.trials.length > 0 ? s.now.toISOString() : undefined);
  if (allEnded && (state.doneReason || timedOut) && state.trials.length > 0) {
    if (timedOut)
      return { status: 'Canceled', reason: `${state.doneReason ?? 'timeout'}: ${summary}${best}` };
    const anyGood = state.trials.some((t) => t.ended?.status === 'Completed' || t.stopped);
    return anyGood
      ? { status: 'Completed', reason: `${state.doneReason}: ${summary}${best}` }
      : { status: 'Failed', reason: `every trial failed: ${summary}` };
  }
  return { status: 'Running', reason: `${summary}${best}`, ...(startTime ? { startTime } : {}) };
}
