import { HangarError } from './errors/hangar-error.js';
import { maxJsonDepth } from './json-depth.js';

/**
 * Applies an RFC 7396 JSON merge patch: objects merge, null deletes, everything else replaces.
 * A patch nested deeper than maxJsonDepth is refused (ValidationFailed) rather than recursed into.
 */
export function mergePatch(target: unknown, patch: unknown, depth = 0): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  if (depth >= maxJsonDepth)
    throw new HangarError(
      'ValidationFailed',
      `The merge patch nests objects more than ${maxJsonDepth} levels deep; the limit is ${maxJsonDepth}.`,
      '(body)',
    );
  const out: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value, depth + 1);
  }
  return out;
}
