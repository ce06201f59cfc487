/**
 * Freezes a parsed document and everything in it: cached records are shared between callers,
 * who write changes as new records and never mutate one they read.
 */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
