import { describe, expect, it } from 'vitest';
import { Histogram, renderFamilies } from './prometheus-text.js';

describe('Prometheus text format', () => {
  it('prints HELP and TYPE, escaped labels and cumulative buckets', () => {
    const h = new Histogram('x_seconds', 'Some\nhelp', [0.1, 1]);
    h.observe({ route: '/a' }, 0.05);
    h.observe({ route: '/a' }, 0.5);
    h.observe({ route: '/a' }, 5);
    const text = renderFamilies([
      { name: 'g', help: 'a gauge', type: 'gauge', samples: [{ labels: { v: 'q"u\\o' }, value: 1 }] },
      h.family(),
    ]);
    expect(text).toBe(
      [
        '# HELP g a gauge',
        '# TYPE g gauge',
        'g{v="q\\"u\\\\o"} 1',
        '# HELP x_seconds Some\\nhelp',
        '# TYPE x_seconds histogram',
        'x_seconds_bucket{route="/a",le="0.1"} 1',
        'x_seconds_bucket{route="/a",le="1"} 2',
        'x_seconds_bucket{route="/a",le="+Inf"} 3',
        'x_seconds_sum{route="/a"} 5.55',
        'x_seconds_count{route="/a"} 3',
        '',
      ].join('\n'),
    );
  });
});
