import { describe, expect, it } from 'vitest';
import { LoginThrottle, type ThrottleKey, type ThrottlePolicy } from './login-throttle.js';

const policy: ThrottlePolicy = { freeFailures: 3, firstWaitMs: 1000, maxWaitMs: 8000, forgetAfterMs: 60_000 };
const user: ThrottleKey = { key: 'user:ann', policy };
const address: ThrottleKey = { key: 'address:10.0.0.1', policy: { ...policy, freeFailures: 5 } };

function setup(maxKeys?: number): { t: LoginThrottle; advance: (ms: number) => void } {
  let now = 1_000_000;
  return { t: new LoginThrottle(() => now, maxKeys), advance: (ms) => (now += ms) };
}

describe('LoginThrottle', () => {
  it('lets the free failures through, then waits 1 s, 2 s, 4 s … up to the cap', () => {
    const { t, advance } = setup();
    for (let i = 0; i < 3; i++) expect(t.begin([user])).toBeUndefined();
    expect(t.begin([user])).toBe(1);
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const wait = t.begin([user]) ?? 0;
      waits.push(wait);
      advance(wait * 1000);
      expect(t.begin([user])).toBeUndefined();
    }
    expect(waits).toEqual([1, 2, 4, 8, 8, 8]);
  });

  it('counts an attempt from its start, so guesses sent at once cannot all slip in', () => {
    const { t } = setup();
    const answers = Array.from({ length: 50 }, () => t.begin([user]));
    expect(answers.filter((a) => a === undefined)).toHaveLength(3);
    expect(answers.slice(3).every((a) => a === 1)).toBe(true);
  });

  it('clears the user on success and gives the address its attempt back', () => {
    const { t } = setup();
    for (let i = 0; i < 2; i++) t.begin([user, address]);
    expect(t.begin([user, address])).toBeUndefined();
    t.succeeded(user, [address]);
    // The user starts over; the address holds 2 failures (5 free).
    for (let i = 0; i < 3; i++) expect(t.begin([user, address])).toBeUndefined();
    expect(t.begin([{ key: 'user:bob', policy }, address])).toBe(1);
  });

  it('refuses for the address even under another user name', () => {
    const { t } = setup();
    for (let i = 0; i < 5; i++) expect(t.begin([{ key: `user:u${i}`, policy }, address])).toBeUndefined();
    expect(t.begin([{ key: 'user:fresh', policy }, address])).toBe(1);
  });

  it('forgets failures after a quiet period', () => {
    const { t, advance } = setup();
    for (let i = 0; i < 3; i++) t.begin([user]);
    advance(1000 + 60_001);
    for (let i = 0; i < 3; i++) expect(t.begin([user])).toBeUndefined();
  });

  it('holds a bounded number of keys', () => {
    const { t } = setup(100);
    for (let i = 0; i < 1000; i++) t.begin([{ key: `user:spray${i}`, policy }]);
    expect(t.size).toBeLessThanOrEqual(100);
  });
});
