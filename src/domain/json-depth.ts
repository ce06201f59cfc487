/**
 * Deepest nesting of objects and arrays a request body may have. Hangar's own documents nest a
 * handful of levels; deeper input is refused when it is parsed, before anything recurses into it.
 */
export const maxJsonDepth = 64;

/**
 * Nesting depth of a parsed JSON value: a scalar is 0, `{}` and `[]` are 1. Walks with its own
 * stack (never the call stack) and stops counting once it passes `limit`.
 */
export function jsonDepth(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [v, above] = top;
    if (v === null || typeof v !== 'object') continue;
    const depth = above + 1;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? (v as unknown[]) : Object.values(v)) stack.push([child, depth]);
  }
  return deepest;
}
