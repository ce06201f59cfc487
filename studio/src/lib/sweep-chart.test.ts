import { describe, expect, it } from 'vitest';
import {
  chartHeight,
  chartPad,
  chartWidth,
  parameterNames,
  sweepChart,
  type SweepTrialView,
} from './sweep-chart.js';

const trial = (name: string, parameters: SweepTrialView['parameters'], best?: number): SweepTrialView => ({
  name,
  parameters,
  ...(best === undefined ? {} : { best }),
});

const left = chartPad.l;
const right = chartWidth - chartPad.r;
const top = chartPad.t;
const bottom = chartHeight - chartPad.b;

describe('sweep chart', () => {
  it('scales a numeric parameter and the metric linearly, higher metric higher up', () => {
    const c = sweepChart(
      [trial('t0', { lr: 1 }, 5), trial('t1', { lr: 3 }, 9), trial('t2', { lr: 2 }, 7)],
      'lr',
    );
    expect(c.kind).toBe('numeric');
    expect(c.points.map((p) => [p.trial, p.x, p.y])).toEqual([
      ['t0', left, bottom],
      ['t1', right, top],
      ['t2', (left + right) / 2, (top + bottom) / 2],
    ]);
    expect(c.yRange).toEqual([5, 9]);
    expect(c.xTicks.map((t) => t.label)).toEqual(['1', '3']);
  });

  it('leaves out trials without a metric value or without the parameter', () => {
    const c = sweepChart(
      [trial('t0', { lr: 0.1 }), trial('t1', { batch: 8 }, 0.4), trial('t2', { lr: 0.2 }, 0.4)],
      'lr',
    );
    expect(c.points.map((p) => p.trial)).toEqual(['t2']);
    // One value on each axis: centred.
    expect(c.points[0]?.x).toBe((left + right) / 2);
    expect(c.points[0]?.y).toBe((top + bottom) / 2);
  });

  it('spreads a categorical parameter over one slot per distinct value', () => {
    const c = sweepChart(
      [trial('a', { opt: 'adam' }, 1), trial('b', { opt: 'sgd' }, 2), trial('c', { opt: 'adam' }, 3)],
      'opt',
    );
    expect(c.kind).toBe('categorical');
    const slot = (right - left) / 2;
    expect(c.xTicks).toEqual([
      { x: left + slot / 2, label: 'adam' },
      { x: left + slot * 1.5, label: 'sgd' },
    ]);
    expect(c.points.map((p) => p.x)).toEqual([left + slot / 2, left + slot * 1.5, left + slot / 2]);
  });

  it('lists every sampled parameter name once', () => {
    expect(parameterNames([trial('a', { lr: 1, opt: 'x' }), trial('b', { lr: 2, batch: 4 })])).toEqual([
      'lr',
      'opt',
      'batch',
    ]);
  });
});
