import type { z } from 'zod';
import { throwIfProblems } from '../../domain/errors/hangar-error.js';
import { zodProblems } from '../../domain/errors/zod-problems.js';

/** Validates a request body against its schema; every problem becomes one detail of a 400. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (!r.success) throwIfProblems(zodProblems(r.error, body));
  return r.data as T;
}
