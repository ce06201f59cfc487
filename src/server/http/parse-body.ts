import type { z } from 'zod';
import { HangarError, throwIfProblems } from '../../domain/errors/hangar-error.js';
import { zodProblems } from '../../domain/errors/zod-problems.js';
import { jsonDepth, maxJsonDepth } from '../../domain/json-depth.js';

/**
 * Parses a JSON request body (undefined when empty). Malformed JSON, and JSON nested deeper than
 * maxJsonDepth, are refused with InvalidJson here, before validation or a merge recurses into it.
 */
export function parseJsonText(text: string): unknown {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const why = err instanceof RangeError ? 'it is nested too deeply to parse' : (err as Error).message;
    throw new HangarError('InvalidJson', `The request body is not valid JSON: ${why}`, '(body)');
  }
  const depth = jsonDepth(value, maxJsonDepth);
  if (depth > maxJsonDepth)
    throw new HangarError(
      'InvalidJson',
      `The request body nests objects and arrays more than ${maxJsonDepth} levels deep; the limit is ${maxJsonDepth}.`,
      '(body)',
    );
  return value;
}

/** Validates a request body against its schema (no body reads as `{}`); every problem becomes one detail of a 400. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  return parseInput(schema, body ?? {});
}

/**
 * Validates path params, a query or a body against a route's schema: answers the parsed value, or
 * throws ValidationFailed whose details name each field, the rule it broke and the value sent.
 */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throwIfProblems(zodProblems(r.error, value));
  return r.data as T;
}
