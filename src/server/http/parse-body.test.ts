import { describe, expect, it } from 'vitest';
import { HangarError } from '../../domain/errors/hangar-error.js';
import { maxJsonDepth } from '../../domain/json-depth.js';
import { parseJsonText } from './parse-body.js';

const deep = (n: number): string => `${'['.repeat(n)}1${']'.repeat(n)}`;

function refusal(text: string): HangarError {
  try {
    parseJsonText(text);
  } catch (err) {
    if (err instanceof HangarError) return err;
    throw err;
  }
  throw new Error(`parsed: ${text.slice(0, 40)}`);
}

describe('parseJsonText', () => {
  it('parses JSON and treats an empty body as none', () => {
    expect(parseJsonText(' {"a":[1,2]} ')).toEqual({ a: [1, 2] });
    expect(parseJsonText('  ')).toBeUndefined();
  });

  it('refuses malformed JSON with InvalidJson', () => {
    const e = refusal('{"a":');
    expect(e.code).toBe('InvalidJson');
    expect(e.status).toBe(400);
    expect(e.target).toBe('(body)');
  });

  it('accepts nesting up to the limit and refuses deeper nesting with InvalidJson naming the limit', () => {
    expect(parseJsonText(deep(maxJsonDepth))).toBeDefined();
    const e = refusal(deep(maxJsonDepth + 1));
    expect(e.code).toBe('InvalidJson');
    expect(e.message).toContain(`limit is ${maxJsonDepth}`);
    expect(refusal(`{"a":${deep(10_000)}}`).code).toBe('InvalidJson');
  });
});
