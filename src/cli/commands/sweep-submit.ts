/**
 * A sweep keeps its code and environment under `trial:`. The CLI lifts them to where a command
 * job has them, so the one upload path (code snapshot, inlined conda file) serves both, and puts
 * them back before the spec is sent.
 */
export function liftTrial(spec: Record<string, unknown>): Record<string, unknown> | undefined {
  const trial = spec.trial;
  if (spec.type !== 'sweep' || trial === null || typeof trial !== 'object' || Array.isArray(trial))
    return undefined;
  const t = trial as Record<string, unknown>;
  if (t.code !== undefined) spec.code = t.code;
  if (t.environment !== undefined) spec.environment = t.environment;
  return t;
}

/** Puts the (now resolved) code and environment back under `trial:`. */
export function restoreTrial(spec: Record<string, unknown>, trial: Record<string, unknown>): void {
  const t = { ...trial };
  if (spec.code !== undefined) t.code = spec.code;
  if (spec.environment !== undefined) t.environment = spec.environment;
  delete spec.code;
  delete spec.environment;
  spec.trial = t;
}
