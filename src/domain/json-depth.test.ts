import { describe, expect, it } from 'vitest';
import { HangarError } from './errors/hangar-error.js';
import { jsonDepth, maxJsonDepth } from './json-depth.js';
import { mergePatch } from './json-merge-patch.js';

/** `{"a":{"a":…1…}}` nested `n` objects deep, built without recursion. */
function nested(n: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = { a: v };
  return v;
}

describe('jsonDepth', () => {
  it('counts objects and arrays, not scalars', () => {
    expect(jsonDepth(1)).toBe(0);
    expect(jsonDepth(null)).toBe(0);
    expect(jsonDepth({})).toBe(1);
    expect(jsonDepth([[], { a: [1, { b: 2 }] }])).toBe(4);
    expect(jsonDepth(nested(64))).toBe(64);
  });

  it('walks 100,000 levels without overflowing the stack, and stops once past the limit', () => {
    expect(jsonDepth(nested(100_000))).toBe(100_000);
    expect(jsonDepth(nested(100_000), 10)).toBe(11);
  });
});

describe('mergePatch depth', () => {
  it('merges a patch as deep as the limit and refuses a deeper one with ValidationFailed naming the limit', () => {
    expect(jsonDepth(mergePatch({ keep: 1 }, nested(maxJsonDepth)))).toBe(maxJsonDepth);
    let err: unknown;
    try {
      mergePatch({}, nested(10_000));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HangarError);
    expect((err as HangarError).code).toBe('ValidationFailed');
    expect((err as HangarError).message).toContain(String(maxJsonDepth));
  });

  it('still applies RFC 7396: objects merge, null deletes, arrays replace', () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1] }, { a: null, b: { c: 5 }, e: [2] })).toEqual({
      b: { c: 5, d: 3 },
      e: [2],
    });
  });
});
