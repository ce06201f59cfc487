import { HangarError } from '../../domain/errors/hangar-error.js';
import { terminalStates, unfinishedStates, type JobRecord } from '../../domain/jobs/job-record.js';
import { requestCancel } from '../../domain/jobs/job-transitions.js';
import {
  decideSweep,
  type ObservedTrial,
  type SweepDecision,
  type SweepState,
  type SweepTrial,
} from '../../domain/sweeps/sweep-decision.js';
import { trialSpec } from '../../domain/sweeps/sweep-spec.js';
import { updateJob } from '../jobs/job-writes.js';
import type { LoopDefinition } from '../loops/loop-runner.js';
import type { ServiceContext } from '../services/service-context.js';
import { buildTrial, insertTrial, type SweepDeps } from './sweep-trials.js';

/** A sweep to reconcile: workspace and name (read fresh when its turn comes). */
interface SweepKey {
  workspace: string;
  name: string;
}

/**
 * The sweep controller: for each sweep that is running, or has ended with trials still running,
 * reads a snapshot (the sweep's state, its trial jobs, their primary-metric histories), lets the
 * pure decideSweep choose, writes the sweep's state first and then acts (create trials, cancel
 * trials, record events). Every act is idempotent, so a crash anywhere is repaired by the next pass.
 */
export function sweepLoop(ctx: ServiceContext, deps: SweepDeps): LoopDefinition<SweepKey[], SweepKey> {
  return {
    name: 'sweeps',
    intervalMs: ctx.config.reconcileIntervalMs,
    read: () => activeSweeps(ctx),
    keys: (sweeps) => sweeps,
    keyOf: (k) => `sweep/${k.workspace}/${k.name}`,
    reconcile: (k) => reconcileSweep(ctx, deps, k),
  };
}

async function activeSweeps(ctx: ServiceContext): Promise<SweepKey[]> {
  // Sweeps and children only: the queue's other jobs are not this loop's.
  const active = await ctx.store.jobs.all({ statuses: [...unfinishedStates], family: true });
  const keys = new Map<string, SweepKey>();
  for (const j of active) {
    if (terminalStates.has(j.status)) continue;
    if (j.controller === 'sweep')
      keys.set(`${j.workspace}/${j.name}`, { workspace: j.workspace, name: j.name });
    // A trial still running under a sweep that ended (canceled, timed out) is the sweep's to stop.
    else if (j.parentJobName && j.gang === undefined)
      keys.set(`${j.workspace}/${j.parentJobName}`, { workspace: j.workspace, name: j.parentJobName });
  }
  return [...keys.values()];
}

/** Primary-metric values in logged order (by step, then time): value i is interval i + 1. */
async function history(
  ctx: ServiceContext,
  workspace: string,
  job: string,
  metric: string,
): Promise<number[]> {
  const points = await ctx.store.runData.metricHistory(workspace, job, metric);
  return [...points].sort((a, b) => a.step - b.step || a.timestamp - b.timestamp).map((p) => p.value);
}

async function observe(
  ctx: ServiceContext,
  parent: JobRecord,
  state: SweepState,
): Promise<Map<string, ObservedTrial>> {
  const observed = new Map<string, ObservedTrial>();
  const metric = state.config.objective.primaryMetric;
  // Ended trials' histories matter only to a policy (peers at an interval) — otherwise their summary is enough.
  const needEnded = state.config.policy !== undefined;
  for (const t of state.trials) {
    if (t.ended && !needEnded) {
      observed.set(t.name, { status: t.ended.status, values: [], loggedKeys: [] });
      continue;
    }
    const job = await ctx.store.jobs.get(parent.workspace, t.name);
    if (!job) continue;
    const values = await history(ctx, parent.workspace, t.name, metric);
    const loggedKeys =
      values.length === 0 && terminalStates.has(job.status)
        ? (await ctx.store.runData.latestMetrics(parent.workspace, t.name)).map((m) => m.key).sort()
        : [];
    observed.set(t.name, {
      status: job.status,
      values,
      loggedKeys,
      ...(job.error ? { error: job.error.message } : {}),
    });
  }
  return observed;
}

async function reconcileSweep(
  ctx: ServiceContext,
  deps: SweepDeps,
  key: SweepKey,
): Promise<number | undefined> {
  const parent = await ctx.store.jobs.get(key.workspace, key.name);
  if (!parent || parent.controller !== 'sweep' || !parent.sweep) return undefined;
  const now = ctx.clock.now();
  const decision = decideSweep({
    state: parent.sweep,
    parent: {
      status:
        parent.cancelRequested && !terminalStates.has(parent.status) ? 'CancelRequested' : parent.status,
      createdAt: parent.createdAt,
      ...(parent.startTime ? { startTime: parent.startTime } : {}),
    },
    trials: await observe(ctx, parent, parent.sweep),
    now,
    sweepName: parent.name,
  });
  const best = decision.state.best
    ? await ctx.store.jobs.get(parent.workspace, decision.state.best.trial)
    : undefined;
  // The state first: a trial is recorded (and counts against the budget) before its job exists.
  const written = await updateJob(ctx, parent, (j) => applyDecision(j, parent, decision, best, now));
  // Canceled meanwhile: its recorded trials are not created (the next pass ends them).
  if (!terminalStates.has(written.status) && !written.cancelRequested)
    for (const t of decision.create) await createTrial(ctx, deps, written, t);
  for (const c of decision.cancel) {
    const trial = await ctx.store.jobs.get(parent.workspace, c.trial);
    if (!trial || terminalStates.has(trial.status)) continue;
    const stopped = await updateJob(ctx, trial, (j) => requestCancel(j, now));
    if (stopped.nodeId) ctx.signals.nodeWork(stopped.nodeId);
  }
  for (const a of decision.annotate) {
    const trial = await ctx.store.jobs.get(parent.workspace, a.trial);
    if (trial?.status === 'Canceled' && trial.reason !== a.message)
      await updateJob(ctx, trial, (j) => ({
        ...j,
        reason: a.message,
        error: { code: 'JobCanceled', message: a.message },
        modifiedAt: now.toISOString(),
      }));
  }
  for (const e of decision.events)
    await ctx.store.events.append({
      at: now.toISOString(),
      workspace: parent.workspace,
      resource: `job/${e.trial}`,
      reason: e.reason,
      message: e.message,
      level: e.reason === 'PrimaryMetricMissing' ? 'Warning' : 'Info',
    });
  // A policy reads metrics, which wake no loop: look again at the interval while trials run.
  return undefined;
}

/**
 * The sweep job with the decision applied: its state always; its status, reason, times and (once
 * done) the best trial's outputs, unless the user canceled it meanwhile. Undefined when nothing changed.
 */
function applyDecision(
  j: JobRecord,
  seen: JobRecord,
  decision: SweepDecision,
  best: JobRecord | undefined,
  now: Date,
): JobRecord | undefined {
  // Another writer changed the sweep's state since the snapshot (another replica): decide again next pass.
  if (JSON.stringify(j.sweep) !== JSON.stringify(seen.sweep)) return undefined;
  const next: JobRecord = { ...j, sweep: decision.state };
  const p = decision.parent;
  if (p && !terminalStates.has(j.status) && !j.cancelRequested) {
    next.status = p.status;
    next.reason = p.reason;
    if (p.startTime && !j.startTime) next.startTime = p.startTime;
    if (p.status !== 'Running') {
      next.endTime = now.toISOString();
      if (p.status === 'Completed') next.exitCode = 0;
      else next.error = { code: p.status === 'Canceled' ? 'JobCanceled' : 'JobFailed', message: p.reason };
    }
  }
  // The sweep's outputs are its best trial's (az ml job download --output-name).
  if (best?.status === 'Completed' && best.outputsSnapshotId) next.outputsSnapshotId = best.outputsSnapshotId;
  const same =
    JSON.stringify(next.sweep) === JSON.stringify(j.sweep) &&
    next.status === j.status &&
    next.reason === j.reason &&
    next.startTime === j.startTime &&
    next.outputsSnapshotId === j.outputsSnapshotId;
  if (same) return undefined;
  return { ...next, modifiedAt: now.toISOString() };
}

/** Creates one recorded trial's job; a trial that can no longer be built is recorded as failed, not retried forever. */
async function createTrial(
  ctx: ServiceContext,
  deps: SweepDeps,
  parent: JobRecord,
  t: SweepTrial,
): Promise<void> {
  const state = parent.sweep;
  if (!state) return;
  try {
    const built = await buildTrial(
      ctx,
      deps,
      parent.workspace,
      t.name,
      trialSpec(state.config.trial, t.params, t.name),
      state.snapshots,
    );
    await insertTrial(ctx, deps, built, parent.name, t.params);
  } catch (err) {
    if (!(err instanceof HangarError)) throw err;
    const message = `trial ${t.name} could not be created: ${err.message}`;
    await updateJob(ctx, parent, (j) =>
      j.sweep
        ? {
            ...j,
            sweep: {
              ...j.sweep,
              trials: j.sweep.trials.map((x) => (x.name === t.name ? { ...x, createFailed: message } : x)),
            },
          }
        : undefined,
    );
    await ctx.store.events.append({
      at: ctx.clock.now().toISOString(),
      workspace: parent.workspace,
      resource: `job/${parent.name}`,
      reason: 'TrialNotCreated',
      message,
      level: 'Warning',
    });
  }
}
