import { describe, expect, it } from 'vitest';
import { decideSweep, type ObservedTrial, type SweepSnapshot, type SweepState } from './sweep-decision.js';
import { parseSweepSpec } from './sweep-spec.js';

const t0 = new Date('2026-01-01T00:00:00.000Z');
const at = (s: number) => new Date(t0.getTime() + s * 1000);

function sweep(extra: Record<string, unknown> = {}): SweepState {
  const config = parseSweepSpec({
    type: 'sweep',
    compute: 'cpu',
    sampling_algorithm: 'random',
    search_space: { lr: { type: 'uniform', min_value: 0, max_value: 1 } },
    objective: { primary_metric: 'acc', goal: 'maximize' },
    trial: { command: 'echo ${{search_space.lr}}', environment: 'e' },
    limits: { max_total_trials: 5, max_concurrent_trials: 2, timeout: 3600 },
    ...extra,
  });
  return { config, seed: 1, trials: [], snapshots: { inputSnapshots: {} } };
}

const obs = (
  status: ObservedTrial['status'],
  values: number[] = [],
  loggedKeys: string[] = [],
): ObservedTrial => ({
  status,
  values,
  loggedKeys,
});

function snap(
  state: SweepState,
  trials: Record<string, ObservedTrial>,
  now = at(10),
  parent: SweepSnapshot['parent'] = {
    status: 'Running',
    createdAt: t0.toISOString(),
    startTime: t0.toISOString(),
  },
): SweepSnapshot {
  return { state, trials: new Map(Object.entries(trials)), now, parent, sweepName: 's' };
}

describe('decideSweep', () => {
  it('launches up to max_concurrent_trials and never past max_total_trials', () => {
    let state = sweep();
    const d1 = decideSweep(snap(state, {}, at(0), { status: 'Queued', createdAt: t0.toISOString() }));
    expect(d1.create.map((t) => t.name)).toEqual(['s_trial0', 's_trial1']);
    expect(d1.parent).toMatchObject({ status: 'Running', startTime: t0.toISOString() });
    state = d1.state;
    // Nothing ended: nothing new, and the recorded trials' jobs exist now.
    const d2 = decideSweep(snap(state, { s_trial0: obs('Running'), s_trial1: obs('Queued') }));
    expect(d2.create).toEqual([]);
    expect(d2.state.trials).toHaveLength(2);
    // Run the sweep to the end: every pass completes everything running.
    const seen: Record<string, ObservedTrial> = {};
    for (let i = 0; i < 10; i++) {
      for (const t of state.trials) seen[t.name] = obs('Completed', [t.index / 10], ['acc']);
      const d = decideSweep(snap(state, seen));
      state = d.state;
      for (const c of d.create) seen[c.name] = obs('Queued');
    }
    expect(state.trials).toHaveLength(5);
    expect(state.best).toMatchObject({ trial: 's_trial4', value: 0.4 });
    const end = decideSweep(snap(state, seen));
    expect(end.parent?.status).toBe('Completed');
    expect(end.parent?.reason).toContain('limits.max_total_trials (5) trials launched');
  });

  it('recreates a recorded trial whose job is missing (crash between recording and creating), without sampling again', () => {
    const d1 = decideSweep(snap(sweep(), {}, at(0)));
    const again = decideSweep(snap(d1.state, {}));
    expect(again.create.map((t) => t.name)).toEqual(['s_trial0', 's_trial1']);
    expect(again.state.trials).toHaveLength(2);
    expect(again.state.trials[0]?.params).toEqual(d1.state.trials[0]?.params);
  });

  it('a preempted trial back in the queue is still the same trial: no extra trial is launched', () => {
    const d1 = decideSweep(snap(sweep(), {}, at(0)));
    const d2 = decideSweep(snap(d1.state, { s_trial0: obs('Queued', [0.5]), s_trial1: obs('Running') }));
    expect(d2.create).toEqual([]);
    expect(d2.state.trials).toHaveLength(2);
  });

  it('stops a trial by policy, records the numbers once, and keeps cancelling until it ends', () => {
    const state = sweep({ early_termination: { type: 'bandit', slack_factor: 0.2 } });
    const d1 = decideSweep(snap(state, {}, at(0)));
    const d2 = decideSweep(
      snap(d1.state, { s_trial0: obs('Running', [0.8]), s_trial1: obs('Running', [0.6]) }),
    );
    expect(d2.cancel).toEqual([
      {
        trial: 's_trial1',
        message: expect.stringContaining('best 0.6 < 0.8/1.2 = 0.667 at interval 1') as string,
      },
    ]);
    expect(d2.events).toHaveLength(1);
    expect(d2.events[0]?.reason).toBe('EarlyTerminated');
    const d3 = decideSweep(
      snap(d2.state, { s_trial0: obs('Running', [0.8]), s_trial1: obs('CancelRequested', [0.6]) }),
    );
    expect(d3.events).toEqual([]);
    expect(d3.cancel.map((c) => c.trial)).toEqual(['s_trial1']);
    const d4 = decideSweep(
      snap(d3.state, { s_trial0: obs('Running', [0.8]), s_trial1: obs('Canceled', [0.6]) }),
    );
    expect(d4.cancel).toEqual([]);
    expect(d4.create.map((t) => t.name)).toEqual(['s_trial2']);
  });

  it('flags a trial that ended without the primary metric, naming what it logged', () => {
    const d1 = decideSweep(snap(sweep(), {}, at(0)));
    const d2 = decideSweep(
      snap(d1.state, { s_trial0: obs('Completed', [], ['accuracy', 'loss']), s_trial1: obs('Running') }),
    );
    expect(d2.state.trials[0]?.flagged).toContain(
      "primary metric 'acc' was never logged; it logged: accuracy, loss",
    );
    expect(d2.events.map((e) => e.reason)).toEqual(['PrimaryMetricMissing']);
  });

  it('the sweep canceled: its running trials are canceled, nothing is launched', () => {
    const d1 = decideSweep(snap(sweep(), {}, at(0)));
    const d2 = decideSweep(
      snap(d1.state, { s_trial0: obs('Running'), s_trial1: obs('Completed', [0.1]) }, at(5), {
        status: 'Canceled',
        createdAt: t0.toISOString(),
      }),
    );
    expect(d2.cancel.map((c) => c.trial)).toEqual(['s_trial0']);
    expect(d2.create).toEqual([]);
    expect(d2.parent).toBeUndefined();
  });

  it('limits.timeout ends the sweep: trials canceled, the sweep Canceled once they ended', () => {
    const d1 = decideSweep(snap(sweep(), {}, at(0)));
    const d2 = decideSweep(snap(d1.state, { s_trial0: obs('Running'), s_trial1: obs('Running') }, at(3600)));
    expect(d2.cancel).toHaveLength(2);
    expect(d2.parent?.status).toBe('Running');
    const d3 = decideSweep(
      snap(d2.state, { s_trial0: obs('Canceled'), s_trial1: obs('Canceled') }, at(3601)),
    );
    expect(d3.parent?.status).toBe('Canceled');
    expect(d3.parent?.reason).toContain('limits.timeout (3600 s)');
  });

  it('a timeout with a recorded trial whose job was never created still ends the sweep', () => {
    const d1 = decideSweep(snap(sweep(), {}, at(0)));
    const d2 = decideSweep(snap(d1.state, { s_trial0: obs('Completed', [0.3]) }, at(3600)));
    expect(d2.create).toEqual([]);
    expect(d2.state.trials[1]?.ended?.status).toBe('Canceled');
    expect(d2.parent?.status).toBe('Canceled');
  });

  it('a grid sweep ends when the grid is exhausted; all trials failed means the sweep failed', () => {
    let state = sweep({
      sampling_algorithm: 'grid',
      search_space: { lr: { type: 'choice', values: [1, 2, 3] } },
    });
    const seen: Record<string, ObservedTrial> = {};
    for (let i = 0; i < 4; i++) {
      const d = decideSweep(snap(state, seen));
      state = d.state;
      for (const t of state.trials) seen[t.name] = obs('Failed');
    }
    expect(state.trials.map((t) => t.params.lr)).toEqual([1, 2, 3]);
    const end = decideSweep(snap(state, seen));
    expect(end.parent?.status).toBe('Failed');
  });

  it('bayesian sweeps launch with running trials known', () => {
    const state = sweep({
      sampling_algorithm: 'bayesian',
      limits: { max_total_trials: 20, max_concurrent_trials: 3 },
    });
    const d = decideSweep(snap(state, {}, at(0)));
    expect(d.create).toHaveLength(3);
    const units = d.state.trials.map((t) => t.unit[0]);
    expect(new Set(units).size).toBe(3);
  });
});
