import { describe, expect, it } from 'vitest';
import { applySetOverrides } from './set-overrides.js';

describe('applySetOverrides', () => {
  it('sets nested paths with YAML scalar values and leaves the input alone', () => {
    const doc = { limits: { timeout: 10 }, tags: {} };
    const out = applySetOverrides(doc, [
      'limits.timeout=30',
      'tags.team=ml',
      'resources.instance_count=2',
      'display_name=x=y',
    ]);
    expect(out).toEqual({
      limits: { timeout: 30 },
      tags: { team: 'ml' },
      resources: { instance_count: 2 },
      display_name: 'x=y',
    });
    expect(doc.limits.timeout).toBe(10);
  });

  it('rejects bad syntax and paths through scalars', () => {
    expect(() => applySetOverrides({}, ['novalue'])).toThrow(/key.path=value/);
    expect(() => applySetOverrides({ a: 1 }, ['a.b=2'])).toThrow(/'a' is not a mapping/);
  });
});
