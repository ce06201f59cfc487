import { describe, expect, it } from 'vitest';
import { suggestBayesian, trialRandom, type Observation } from './bayesian.js';
import { gridSize, randomPoint, sobolPoint } from './samplers.js';
import { paramsAt, parseSearchSpace } from './search-space.js';

const space = parseSearchSpace({
  x: { type: 'uniform', min_value: -5, max_value: 10 },
  y: { type: 'uniform', min_value: 0, max_value: 15 },
});

describe('random sampling', () => {
  it('is a pure function of seed and index', () => {
    expect(randomPoint(space, 42, 3)).toEqual(randomPoint(space, 42, 3));
    expect(randomPoint(space, 42, 3)).not.toEqual(randomPoint(space, 43, 3));
    expect(randomPoint(space, 42, 3)).not.toEqual(randomPoint(space, 42, 4));
  });

  it('rule sobol stratifies: the first 2^k points fill every 1/2^k bin of each dimension once', () => {
    const wide = parseSearchSpace(
      Object.fromEntries(
        Array.from({ length: 16 }, (_, i) => [`p${i}`, { type: 'uniform', min_value: 0, max_value: 1 }]),
      ),
    );
    // Index -1 is the sequence's first (zero) point, which trials skip; with it the first 2^k form a net.
    const points = [
      new Array<number>(16).fill(0),
      ...Array.from({ length: 15 }, (_, i) => sobolPoint(wide, 0, i)),
    ];
    for (let d = 0; d < 16; d++) {
      const bins = new Set(points.map((p) => Math.floor((p[d] ?? 0) * 16)));
      expect(bins.size).toBe(16);
    }
    expect(sobolPoint(wide, 5, 2)).toEqual(sobolPoint(wide, 5, 2));
    expect(sobolPoint(wide, 5, 2)).not.toEqual(sobolPoint(wide, 6, 2));
  });

  it('grid size is the product of choices', () => {
    expect(
      gridSize(
        parseSearchSpace({
          a: { type: 'choice', values: [1, 2, 3] },
          b: { type: 'choice', values: ['x', 'y'] },
        }),
      ),
    ).toBe(6);
  });
});

/** Branin (minimum 0.397887 at three points), a standard test function. */
function branin(x: number, y: number): number {
  const a = 1;
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return a * (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - t) * Math.cos(x) + 10;
}

function run(kind: 'random' | 'bayesian', seed: number, budget: number, concurrency: number): number {
  const obs: Observation[] = [];
  // Trials run in waves of `concurrency`: each wave is suggested while the previous wave's points are known
  // and the wave's own earlier points are still running (so the sampler must account for them).
  while (obs.length < budget) {
    const wave: Observation[] = [];
    for (let j = 0; j < concurrency && obs.length + wave.length < budget; j++) {
      const index = obs.length + wave.length;
      const unit =
        kind === 'random'
          ? randomPoint(space, seed, index)
          : suggestBayesian(2, [...obs, ...wave], 'minimize', trialRandom(seed, index));
      wave.push({ unit, running: true });
    }
    for (const w of wave) {
      const p = paramsAt(space, w.unit);
      obs.push({ unit: w.unit, value: branin(Number(p.x), Number(p.y)), running: false });
    }
  }
  return Math.min(...obs.map((o) => o.value ?? Infinity));
}

describe('bayesian sampling', () => {
  it('beats random search on Branin in the same budget (30 trials, 3 concurrent, 5 seeds)', () => {
    let bayes = 0;
    let random = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      bayes += run('bayesian', seed, 30, 3);
      random += run('random', seed, 30, 3);
    }
    expect(bayes / 5).toBeLessThan(random / 5);
    expect(bayes / 5).toBeLessThan(0.8);
  });

  it('spreads concurrent suggestions: running trials are not suggested again', () => {
    const obs: Observation[] = Array.from({ length: 8 }, (_, i) => ({
      unit: randomPoint(space, 9, i),
      value: i,
      running: false,
    }));
    const first = suggestBayesian(2, obs, 'minimize', trialRandom(9, 8));
    const second = suggestBayesian(
      2,
      [...obs, { unit: first, running: true }],
      'minimize',
      trialRandom(9, 8),
    );
    expect(second).not.toEqual(first);
  });

  it('is reproducible for the same history and seed', () => {
    const obs: Observation[] = Array.from({ length: 8 }, (_, i) => ({
      unit: randomPoint(space, 9, i),
      value: i,
      running: false,
    }));
    expect(suggestBayesian(2, obs, 'maximize', trialRandom(1, 8))).toEqual(
      suggestBayesian(2, obs, 'maximize', trialRandom(1, 8)),
    );
  });
});
