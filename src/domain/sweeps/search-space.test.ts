import { describe, expect, it } from 'vitest';
import { HangarError } from '../errors/hangar-error.js';
import {
  dimensions,
  gridPoints,
  paramsAt,
  parameterNames,
  parseSearchSpace,
  valueAt,
  type Expression,
} from './search-space.js';
import { randomPoint } from './samplers.js';

const fieldOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    if (err instanceof HangarError) return err.target;
    throw err;
  }
  return undefined;
};

describe('parseSearchSpace', () => {
  it('accepts every az ml distribution, in YAML and REST form', () => {
    const space = parseSearchSpace({
      c: { type: 'choice', values: [1, 'a', true] },
      r: { type: 'randint', upper: 5 },
      u: { type: 'uniform', min_value: 0, max_value: 1 },
      qu: { type: 'quniform', min_value: 0, max_value: 10, q: 2 },
      lu: { type: 'loguniform', min_value: -3, max_value: 0 },
      qlu: { type: 'qloguniform', min_value: 0, max_value: 3, q: 1 },
      n: { type: 'normal', mu: 0, sigma: 1 },
      qn: { type: 'qnormal', mu: 10, sigma: 3, q: 1 },
      ln: { type: 'lognormal', mu: 0, sigma: 0.5 },
      qln: { type: 'qlognormal', mu: 1, sigma: 0.5, q: 0.5 },
      rest: ['uniform', [0.1, 0.2]],
      restChoice: ['choice', [[16, 32]]],
    });
    expect(Object.keys(space)).toHaveLength(12);
    expect(space.rest).toEqual({ type: 'uniform', min_value: 0.1, max_value: 0.2 });
    expect(space.restChoice).toEqual({ type: 'choice', values: [16, 32] });
  });

  it('names the field of every problem', () => {
    expect(fieldOf(() => parseSearchSpace({ lr: { type: 'uniform', min_value: 'a', max_value: 1 } }))).toBe(
      'search_space.lr.min_value',
    );
    expect(fieldOf(() => parseSearchSpace({ lr: { type: 'gaussian' } }))).toBe('search_space.lr.type');
    expect(fieldOf(() => parseSearchSpace({ lr: { type: 'normal', mu: 0, sigma: 1, q: 1 } }))).toBe(
      'search_space.lr.q',
    );
    expect(fieldOf(() => parseSearchSpace({ lr: { type: 'uniform', min_value: 2, max_value: 1 } }))).toBe(
      'search_space.lr.max_value',
    );
    expect(fieldOf(() => parseSearchSpace({ n: { type: 'randint', upper: 0 } }))).toBe(
      'search_space.n.upper',
    );
    expect(fieldOf(() => parseSearchSpace({ c: { type: 'choice', values: [] } }))).toBe(
      'search_space.c.values',
    );
    expect(
      fieldOf(() =>
        parseSearchSpace({ k: { type: 'choice', values: [{ gamma: { type: 'uniform', min_value: 0 } }] } }),
      ),
    ).toBe('search_space.k.values[0].gamma.max_value');
    expect(fieldOf(() => parseSearchSpace({}))).toBe('search_space');
  });

  it('maps unit coordinates through each distribution (inverse CDF), q-rounded', () => {
    const at = (e: Expression, u: number) => valueAt(e, u);
    expect(at({ type: 'randint', upper: 4 }, 0.99)).toBe(3);
    expect(at({ type: 'uniform', min_value: 2, max_value: 4 }, 0.5)).toBe(3);
    expect(at({ type: 'quniform', min_value: 0, max_value: 10, q: 3 }, 0.45)).toBe(6);
    expect(at({ type: 'loguniform', min_value: 0, max_value: 2 }, 0.5)).toBeCloseTo(Math.E);
    expect(at({ type: 'normal', mu: 5, sigma: 2 }, 0.5)).toBeCloseTo(5);
    expect(at({ type: 'normal', mu: 0, sigma: 1 }, 0.975)).toBeCloseTo(1.96, 2);
    expect(at({ type: 'lognormal', mu: 0, sigma: 1 }, 0.5)).toBeCloseTo(1);
    expect(at({ type: 'qnormal', mu: 0, sigma: 1, q: 0.5 }, 0.975)).toBe(2);
    expect(at({ type: 'qlognormal', mu: 0, sigma: 1, q: 1 }, 0.5)).toBe(1);
    expect(at({ type: 'qloguniform', min_value: 0, max_value: 2, q: 1 }, 0.5)).toBe(3);
  });

  it('samples inside the bounds', () => {
    const space = parseSearchSpace({
      u: { type: 'uniform', min_value: -1, max_value: 1 },
      r: { type: 'randint', upper: 3 },
      lu: { type: 'loguniform', min_value: -2, max_value: 1 },
    });
    for (let i = 0; i < 200; i++) {
      const p = paramsAt(space, randomPoint(space, 7, i));
      expect(p.u).toBeGreaterThanOrEqual(-1);
      expect(p.u).toBeLessThanOrEqual(1);
      expect([0, 1, 2]).toContain(p.r);
      expect(p.lu).toBeGreaterThanOrEqual(Math.exp(-2));
      expect(p.lu).toBeLessThanOrEqual(Math.exp(1));
    }
  });

  it('flattens nested choices into their own parameters', () => {
    const space = parseSearchSpace({
      model: {
        type: 'choice',
        values: [
          { kernel: 'rbf', gamma: { type: 'uniform', min_value: 0.1, max_value: 1 } },
          { kernel: 'linear' },
        ],
      },
    });
    expect(dimensions(space).map((d) => d.path)).toEqual(['model', 'model[0].gamma']);
    expect(paramsAt(space, [0.1, 0.5])).toEqual({ kernel: 'rbf', gamma: 0.55 });
    expect(paramsAt(space, [0.9, 0.5])).toEqual({ kernel: 'linear' });
    expect([...parameterNames(space)].sort()).toEqual(['gamma', 'kernel']);
  });

  it('enumerates a grid, nested branches expanded', () => {
    const space = parseSearchSpace({
      a: { type: 'choice', values: [1, 2] },
      b: {
        type: 'choice',
        values: [{ opt: 'sgd', m: { type: 'choice', values: [0, 0.9] } }, { opt: 'adam' }],
      },
    });
    const grid = gridPoints(space).map((u) => paramsAt(space, u));
    expect(grid).toEqual([
      { a: 1, opt: 'sgd', m: 0 },
      { a: 1, opt: 'sgd', m: 0.9 },
      { a: 1, opt: 'adam' },
      { a: 2, opt: 'sgd', m: 0 },
      { a: 2, opt: 'sgd', m: 0.9 },
      { a: 2, opt: 'adam' },
    ]);
  });
});
