import type { z } from 'zod';
import type { Problem } from './hangar-error.js';

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Turns zod issues into problems that name field, rule and value. */
export function zodProblems(error: z.ZodError, input: unknown, prefix = ''): Problem[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.');
    const target = path || '(body)';
    if (issue.code === 'unrecognized_keys') {
      return {
        code: 'ValidationFailed',
        target: issue.keys.map((k) => (path ? `${path}.${k}` : k)).join(', '),
        message: `${target}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`,
      };
    }
    const value = valueAt(input, issue.path);
    return { code: 'ValidationFailed', target, message: `${target}: ${issue.message}; got ${show(value)}` };
  });
}
