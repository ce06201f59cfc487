import { describe, expect, it } from 'vitest';
import { HangarError } from '../errors/hangar-error.js';
import { parseSweepSpec, trialSpec } from './sweep-spec.js';

const base = {
  type: 'sweep',
  compute: 'azureml:cpu',
  sampling_algorithm: 'random',
  search_space: {
    lr: { type: 'uniform', min_value: 0.01, max_value: 0.1 },
    bs: { type: 'choice', values: [16, 32] },
  },
  objective: { primary_metric: 'accuracy', goal: 'Maximize' },
  trial: {
    command: 'python train.py --lr ${{search_space.lr}} --bs ${{inputs.bs}}',
    environment: 'azureml:py@latest',
  },
  inputs: { bs: '${{search_space.bs}}' },
  limits: { max_total_trials: 6, max_concurrent_trials: 2, timeout: 'PT1H', trial_timeout: 600 },
};

const targetOf = (raw: Record<string, unknown>): string | undefined => {
  try {
    parseSweepSpec(raw);
  } catch (err) {
    if (err instanceof HangarError) return err.target;
    throw err;
  }
  return undefined;
};

describe('parseSweepSpec', () => {
  it('reads the az ml sweep YAML with defaults', () => {
    const c = parseSweepSpec(base);
    expect(c.objective).toEqual({ primaryMetric: 'accuracy', goal: 'maximize' });
    expect(c.limits).toEqual({
      maxTotalTrials: 6,
      maxConcurrentTrials: 2,
      timeoutSeconds: 3600,
      trialTimeoutSeconds: 600,
    });
    expect(c.sampling).toEqual({ type: 'random', rule: 'random' });
    expect(c.trial).toMatchObject({ type: 'command', compute: 'azureml:cpu', limits: { timeout: 600 } });
    const d = parseSweepSpec({ ...base, limits: undefined });
    expect(d.limits).toEqual({ maxTotalTrials: 1000, maxConcurrentTrials: 1000, timeoutSeconds: 5_184_000 });
  });

  it('names the YAML field of each problem', () => {
    expect(targetOf({ ...base, objective: { primary_metric: 'a', goal: 'up' } })).toBe('objective.goal');
    expect(targetOf({ ...base, limits: { max_total_trials: 0 } })).toBe('limits.max_total_trials');
    expect(targetOf({ ...base, trial: { command: 'x ${{search_space.nope}}', environment: 'e' } })).toBe(
      'trial.command',
    );
    expect(targetOf({ ...base, sampling_algorithm: 'grid' })).toBe('search_space.lr.type');
    expect(
      targetOf({
        ...base,
        sampling_algorithm: 'bayesian',
        search_space: { n: { type: 'normal', mu: 0, sigma: 1 } },
        inputs: {},
        trial: { command: 'x', environment: 'e' },
      }),
    ).toBe('search_space.n.type');
    expect(targetOf({ ...base, sampling_algorithm: { type: 'grid', seed: 1 } })).toBe(
      'sampling_algorithm.seed',
    );
    expect(targetOf({ ...base, early_termination: { type: 'bandit' } })).toBe(
      'early_termination.slack_factor',
    );
    expect(
      targetOf({ ...base, early_termination: { type: 'bandit', slack_factor: 0.1, slack_amount: 1 } }),
    ).toBe('early_termination.slack_factor');
    expect(
      targetOf({ ...base, early_termination: { type: 'truncation_selection', truncation_percentage: 100 } }),
    ).toBe('early_termination.truncation_percentage');
    expect(targetOf({ ...base, early_termination: { type: 'hyperband' } })).toBe('early_termination.type');
    expect(targetOf({ ...base, early_termination: { type: 'median_stopping', slack_factor: 1 } })).toBe(
      'early_termination.slack_factor',
    );
    expect(targetOf({ ...base, unknown_field: 1 })).toBe('unknown_field');
    expect(targetOf({ ...base, compute: undefined })).toBe('compute');
  });

  it('reads evaluation_interval 0 or absent as 1 and keeps delay_evaluation', () => {
    expect(parseSweepSpec({ ...base, early_termination: { type: 'median_stopping' } }).policy).toEqual({
      type: 'median_stopping',
      evaluation_interval: 1,
      delay_evaluation: 0,
    });
    expect(
      parseSweepSpec({
        ...base,
        early_termination: { type: 'bandit', slack_factor: 0.2, evaluation_interval: 0, delay_evaluation: 5 },
      }).policy,
    ).toEqual({ type: 'bandit', slack_factor: 0.2, evaluation_interval: 1, delay_evaluation: 5 });
  });

  it('fills a trial: the command and whole-value inputs keep the parameter type', () => {
    const c = parseSweepSpec(base);
    const spec = trialSpec(c.trial, { lr: 0.05, bs: 32 }, 's_trial0');
    expect(spec.command).toBe('python train.py --lr 0.05 --bs ${{inputs.bs}}');
    expect(spec.inputs).toEqual({ bs: 32 });
    expect(spec.name).toBe('s_trial0');
  });
});
