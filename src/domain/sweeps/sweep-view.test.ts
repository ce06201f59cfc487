import { describe, expect, it } from 'vitest';
import { parseSweepSpec } from './sweep-spec.js';
import type { SweepState } from './sweep-decision.js';
import { sweepProperties, sweepView } from './sweep-view.js';

const config = parseSweepSpec({
  type: 'sweep',
  compute: 'cpu',
  sampling_algorithm: 'random',
  search_space: { lr: { type: 'uniform', min_value: 0, max_value: 1 } },
  objective: { primary_metric: 'acc', goal: 'maximize' },
  trial: { command: 'echo ${{search_space.lr}}' },
  early_termination: { type: 'bandit', slack_factor: 0.2 },
});

describe('sweepView', () => {
  it("shows the best trial, Azure's best_child_run_id and each trial's outcome with its numbers", () => {
    const state: SweepState = {
      config,
      seed: 5,
      snapshots: { inputSnapshots: {} },
      trials: [
        {
          index: 0,
          name: 's_trial0',
          params: { lr: 0.1 },
          unit: [0.1],
          sampledAt: 't',
          ended: { status: 'Completed', best: 0.8, intervals: 10, at: 't' },
        },
        {
          index: 1,
          name: 's_trial1',
          params: { lr: 0.9 },
          unit: [0.9],
          sampledAt: 't',
          stopped: { interval: 10, message: 'best 0.61 < 0.8/1.2 = 0.667 at interval 10', at: 't' },
          ended: { status: 'Canceled', best: 0.61, intervals: 10, at: 't' },
        },
      ],
      best: { trial: 's_trial0', value: 0.8, params: { lr: 0.1 } },
    };
    expect(sweepProperties({ sweep: state })).toEqual({ best_child_run_id: 's_trial0' });
    const view = sweepView(state);
    expect(view.bestTrial).toEqual({ name: 's_trial0', acc: 0.8, metric: 0.8, parameters: { lr: 0.1 } });
    expect(view.samplingAlgorithm).toEqual({ type: 'random', rule: 'random', seed: 5 });
    expect(view.trials).toEqual([
      expect.objectContaining({ name: 's_trial0', status: 'Completed', best: 0.8 }),
      expect.objectContaining({
        name: 's_trial1',
        earlyTerminated: 'best 0.61 < 0.8/1.2 = 0.667 at interval 10',
      }),
    ]);
    expect(sweepProperties({})).toEqual({});
  });
});
