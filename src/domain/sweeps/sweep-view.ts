import type { JobRecord } from '../jobs/job-record.js';
import type { SweepState } from './sweep-decision.js';

/** Azure's properties of a sweep job: `best_child_run_id` once a trial completed with the primary metric. */
export function sweepProperties(job: Pick<JobRecord, 'sweep'>): Record<string, string> {
  return job.sweep?.best ? { best_child_run_id: job.sweep.best.trial } : {};
}

/** A sweep as `job show` and the studio show it: config summary, best trial, every trial's outcome. */
export function sweepView(state: SweepState): Record<string, unknown> {
  const { config } = state;
  return {
    objective: { primaryMetric: config.objective.primaryMetric, goal: config.objective.goal },
    samplingAlgorithm: { ...config.sampling, seed: state.seed },
    limits: config.limits,
    earlyTermination: config.policy,
    trialsLaunched: state.trials.length,
    doneReason: state.doneReason,
    bestTrial: state.best
      ? {
          name: state.best.trial,
          [config.objective.primaryMetric]: state.best.value,
          metric: state.best.value,
          parameters: state.best.params,
        }
      : undefined,
    trials: state.trials.map((t) => ({
      name: t.name,
      parameters: t.params,
      status: t.ended?.status,
      best: t.ended?.best,
      intervals: t.ended?.intervals,
      earlyTerminated: t.stopped ? `${t.stopped.message}` : undefined,
      flagged: t.flagged,
      notCreated: t.createFailed,
    })),
  };
}
