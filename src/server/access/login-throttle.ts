/** How failed sign-ins under one key (a user name, a client address) slow the next attempts. */
export interface ThrottlePolicy {
  /** Failures answered without any wait. */
  freeFailures: number;
  /** Wait after the last free failure; doubled by each further failure, up to maxWaitMs. */
  firstWaitMs: number;
  maxWaitMs: number;
  /** Failures are forgotten after this long without a new one (and no wait running). */
  forgetAfterMs: number;
}

/** Per user name: a person mistyping gets five tries, then waits 1 s, 2 s, 4 s, … up to 15 min. */
export const userThrottle: ThrottlePolicy = {
  freeFailures: 5,
  firstWaitMs: 1000,
  maxWaitMs: 15 * 60_000,
  forgetAfterMs: 15 * 60_000,
};
/** Per client address: more room (several people behind one address), the same growth. */
export const addressThrottle: ThrottlePolicy = {
  freeFailures: 20,
  firstWaitMs: 1000,
  maxWaitMs: 15 * 60_000,
  forgetAfterMs: 15 * 60_000,
};

interface Strikes {
  failures: number;
  lastAt: number;
  lockedUntil: number;
}

/** One key of an attempt and the policy it is counted under. */
export interface ThrottleKey {
  key: string;
  policy: ThrottlePolicy;
}

/**
 * Backoff for failed sign-ins, per key, on an injected clock. An attempt counts as a failure from
 * the moment it starts (so many guesses sent at once cannot all slip in before the first fails)
 * and is taken back when the password turns out right. Holds at most `maxKeys` keys.
 */
export class LoginThrottle {
  private readonly strikes = new Map<string, Strikes>();

  constructor(
    private readonly nowMs: () => number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Seconds to wait when any key is in its backoff (nothing is counted then); undefined: go ahead (counted as a failure). */
  begin(keys: ThrottleKey[]): number | undefined {
    const now = this.nowMs();
    let waitMs = 0;
    for (const { key, policy } of keys)
      waitMs = Math.max(waitMs, (this.current(key, policy, now)?.lockedUntil ?? 0) - now);
    if (waitMs > 0) return Math.max(1, Math.ceil(waitMs / 1000));
    for (const { key, policy } of keys) {
      const s = this.current(key, policy, now) ?? { failures: 0, lastAt: now, lockedUntil: 0 };
      s.failures += 1;
      s.lastAt = now;
      if (s.failures >= policy.freeFailures)
        s.lockedUntil =
          now + Math.min(policy.maxWaitMs, policy.firstWaitMs * 2 ** (s.failures - policy.freeFailures));
      // Re-inserted so the map's order is oldest-first for pruning.
      this.strikes.delete(key);
      this.strikes.set(key, s);
    }
    this.prune(keys, now);
    return undefined;
  }

  /** The password was right: the user's failures are cleared; each other key gets its attempt back. */
  succeeded(cleared: ThrottleKey, others: ThrottleKey[] = []): void {
    this.strikes.delete(cleared.key);
    for (const { key, policy } of others) {
      const s = this.strikes.get(key);
      if (!s) continue;
      s.failures = Math.max(0, s.failures - 1);
      if (s.failures < policy.freeFailures) s.lockedUntil = 0;
    }
  }

  /** Number of keys held (for tests of the bound). */
  get size(): number {
    return this.strikes.size;
  }

  private current(key: string, policy: ThrottlePolicy, now: number): Strikes | undefined {
    const s = this.strikes.get(key);
    if (s && s.lockedUntil <= now && now - s.lastAt > policy.forgetAfterMs) {
      this.strikes.delete(key);
      return undefined;
    }
    return s;
  }

  private prune(keys: ThrottleKey[], now: number): void {
    if (this.strikes.size <= this.maxKeys) return;
    const longest = Math.max(...keys.map((k) => k.policy.forgetAfterMs + k.policy.maxWaitMs));
    for (const [key, s] of this.strikes)
      if (s.lockedUntil <= now && now - s.lastAt > longest) this.strikes.delete(key);
    for (const key of this.strikes.keys()) {
      if (this.strikes.size <= this.maxKeys) break;
      this.strikes.delete(key);
    }
  }
}
