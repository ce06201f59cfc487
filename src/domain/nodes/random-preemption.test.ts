import { describe, expect, it } from 'vitest';
import { pickPreemptions, preemptionProbability } from './random-preemption.js';

describe('random preemption', () => {
  it('follows 1 − e^(−t/mean)', () => {
    expect(preemptionProbability(0, 1000)).toBe(0);
    expect(preemptionProbability(1000, 1000)).toBeCloseTo(1 - Math.exp(-1), 10);
    expect(preemptionProbability(60_000, 1000)).toBeCloseTo(1, 10);
  });

  it('draws once per candidate and keeps those under the probability', () => {
    const draws = [0.1, 0.9, 0.3];
    const picked = pickPreemptions(['a', 'b', 'c'], 1000, 1000, () => draws.shift() ?? 1);
    expect(picked).toEqual(['a', 'c']);
  });

  it('averages to the mean interval over many passes', () => {
    let seed = 42;
    const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    let preemptions = 0;
    for (let pass = 0; pass < 100_000; pass++)
      preemptions += pickPreemptions(['n'], 100, 10_000, random).length;
    // 100,000 passes of 100 ms = 10,000 s at one preemption per 10 s: about 1,000.
    expect(preemptions).toBeGreaterThan(900);
    expect(preemptions).toBeLessThan(1100);
  });
});
