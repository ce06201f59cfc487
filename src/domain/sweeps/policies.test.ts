import { describe, expect, it } from 'vitest';
import {
  evaluatePolicy,
  isEvaluationPoint,
  latestEvaluationPoint,
  type TerminationPolicy,
  type TrialHistory,
} from './policies.js';

const flat = (v: number, n: number): number[] => new Array<number>(n).fill(v);
const h = (trial: string, values: number[], running = true): TrialHistory => ({ trial, values, running });
const bandit = (
  extra: Partial<{ slack_factor: number; slack_amount: number }>,
  schedule = { evaluation_interval: 1, delay_evaluation: 0 },
) => ({ type: 'bandit', ...schedule, ...extra }) as TerminationPolicy;

describe('evaluation schedule', () => {
  it("Azure's example: interval 2, delay 5 evaluates at 6, 8, 10", () => {
    const s = { evaluation_interval: 2, delay_evaluation: 5 };
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].filter((n) => isEvaluationPoint(s, n))).toEqual([6, 8, 10]);
    expect(latestEvaluationPoint(s, 9)).toBe(8);
    expect(latestEvaluationPoint(s, 5)).toBeUndefined();
  });
  it('interval 1, delay 0 evaluates at every interval', () => {
    expect(latestEvaluationPoint({ evaluation_interval: 1, delay_evaluation: 0 }, 1)).toBe(1);
  });
});

describe('bandit', () => {
  it("golden (Azure's worked example): best 0.8, slack_factor 0.2 cancels 0.66 and keeps 0.67 at interval 10", () => {
    const decisions = evaluatePolicy(bandit({ slack_factor: 0.2 }), 'maximize', [
      h('best', flat(0.8, 10), false),
      h('low', flat(0.66, 10)),
      h('ok', flat(0.67, 10)),
    ]);
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ trial: 'low', interval: 10 });
    expect(decisions[0]?.message).toContain('best 0.66 < 0.8/1.2 = 0.667 at interval 10');
  });

  it('the issue example: best 0.61 < 0.8/1.2 = 0.667 at interval 10', () => {
    const [d] = evaluatePolicy(
      bandit({ slack_factor: 0.2 }, { evaluation_interval: 5, delay_evaluation: 10 }),
      'maximize',
      [h('a', [...flat(0.5, 9), 0.8]), h('b', [...flat(0.3, 9), 0.61])],
    );
    expect(d?.message).toMatch(/^best 0.61 < 0.8\/1.2 = 0.667 at interval 10/);
  });

  it('slack_amount is an absolute distance', () => {
    const ds = evaluatePolicy(bandit({ slack_amount: 0.1 }), 'maximize', [
      h('a', [0.8]),
      h('b', [0.69]),
      h('c', [0.71]),
    ]);
    expect(ds.map((d) => d.trial)).toEqual(['b']);
    expect(ds[0]?.message).toContain('best 0.69 < 0.8 - 0.1 = 0.7 at interval 1');
  });

  it('minimising is symmetric: cancel above best·(1+s) or best + amount', () => {
    const ds = evaluatePolicy(bandit({ slack_factor: 0.2 }), 'minimize', [
      h('a', [1]),
      h('b', [1.19]),
      h('c', [1.21]),
    ]);
    expect(ds.map((d) => d.trial)).toEqual(['c']);
    expect(ds[0]?.message).toContain('best 1.21 > 1×1.2 = 1.2');
    const amt = evaluatePolicy(bandit({ slack_amount: 0.5 }), 'minimize', [h('a', [2]), h('b', [2.6])]);
    expect(amt.map((d) => d.trial)).toEqual(['b']);
  });

  it('a trial is judged on its best value so far, and ended trials count as peers but are not stopped', () => {
    const ds = evaluatePolicy(bandit({ slack_factor: 0.1 }), 'maximize', [
      h('done', [0.9, 0.9], false),
      h('dipped', [0.85, 0.2]),
    ]);
    expect(ds).toEqual([]);
  });

  it('does nothing before delay_evaluation', () => {
    expect(
      evaluatePolicy(
        bandit({ slack_factor: 0.1 }, { evaluation_interval: 1, delay_evaluation: 3 }),
        'maximize',
        [h('a', [0.9, 0.9]), h('b', [0.1, 0.1])],
      ),
    ).toEqual([]);
  });

  it('compares a young trial with the others at the same interval', () => {
    // At interval 2 the leader had 0.5; the young trial's 0.45 is within 10 %.
    const ds = evaluatePolicy(bandit({ slack_factor: 0.2 }), 'maximize', [
      h('old', [0.4, 0.5, 0.9, 0.95]),
      h('young', [0.3, 0.45]),
    ]);
    expect(ds).toEqual([]);
  });
});

describe('median stopping', () => {
  const policy: TerminationPolicy = { type: 'median_stopping', evaluation_interval: 1, delay_evaluation: 0 };
  it("stops a trial whose best is worse than the median of the others' running averages", () => {
    const ds = evaluatePolicy(policy, 'maximize', [
      h('a', [0.6, 0.8], false), // average 0.7
      h('b', [0.5, 0.7], false), // average 0.6
      h('c', [0.4, 0.55]), // best 0.55 < median(0.7, 0.6, 0.55) = 0.6 → stopped
      h('d', [0.5, 0.6], false), // average 0.55
    ]);
    expect(ds.map((d) => d.trial)).toEqual(['c']);
    expect(ds[0]?.message).toContain('best 0.55 < median 0.6');
  });
  it('needs two other trials at the interval', () => {
    expect(evaluatePolicy(policy, 'maximize', [h('a', [0.9]), h('b', [0.1])])).toEqual([]);
  });
  it('minimising: stops when the best is above the median', () => {
    const ds = evaluatePolicy(policy, 'minimize', [h('a', [1], false), h('b', [2], false), h('c', [3])]);
    expect(ds.map((d) => d.trial)).toEqual(['c']);
  });
});

describe('truncation selection', () => {
  const policy: TerminationPolicy = {
    type: 'truncation_selection',
    truncation_percentage: 20,
    evaluation_interval: 1,
    delay_evaluation: 0,
  };
  it('stops the lowest 20 % (floor) of the trials that reached the interval', () => {
    const trials = [0.9, 0.8, 0.7, 0.6, 0.5].map((v, i) => h(`t${i}`, [v]));
    const ds = evaluatePolicy(policy, 'maximize', trials);
    expect(ds.map((d) => d.trial)).toEqual(['t4']);
    expect(ds[0]?.message).toContain('ranks 5 of 5 at interval 1, in the lowest 20%');
  });
  it('stops nothing while floor(n · p%) is 0', () => {
    expect(evaluatePolicy(policy, 'maximize', [h('a', [1]), h('b', [0])])).toEqual([]);
  });
  it('minimising: the largest values are the lowest ranked', () => {
    const trials = [1, 2, 3, 4, 5].map((v, i) => h(`t${i}`, [v]));
    expect(evaluatePolicy(policy, 'minimize', trials).map((d) => d.trial)).toEqual(['t4']);
  });
});
