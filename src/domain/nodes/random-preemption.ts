/**
 * Chance that a node is preempted within `elapsedMs` when preemptions arrive at random with a
 * mean interval of `meanIntervalMs` (a Poisson process: 1 − e^(−t/mean)).
 */
export function preemptionProbability(elapsedMs: number, meanIntervalMs: number): number {
  if (elapsedMs <= 0 || meanIntervalMs <= 0) return 0;
  return 1 - Math.exp(-elapsedMs / meanIntervalMs);
}

/** The nodes to preempt now: each candidate independently, with one draw from `random` apiece. */
export function pickPreemptions<T>(
  candidates: readonly T[],
  elapsedMs: number,
  meanIntervalMs: number,
  random: () => number,
): T[] {
  const p = preemptionProbability(elapsedMs, meanIntervalMs);
  return candidates.filter(() => random() < p);
}
