import { describe, expect, it } from 'vitest';
import { applyQuery, renderTable, renderTsv } from './output.js';

const job = { name: 'j1', properties: { status: 'Completed', attempts: [{ n: 1 }, { n: 2 }] } };

describe('applyQuery', () => {
  it('reads dotted fields, indexes and projections', () => {
    expect(applyQuery(job, 'properties.status')).toBe('Completed');
    expect(applyQuery(job, 'properties.attempts[-1].n')).toBe(2);
    expect(applyQuery([job, { name: 'j2' }], '[].name')).toEqual(['j1', 'j2']);
    expect(applyQuery([job, { name: 'j2' }], '[*].properties.status')).toEqual(['Completed']);
    expect(applyQuery(job, 'missing.field')).toBeNull();
  });

  it('refuses expressions outside the supported subset, naming them', () => {
    expect(() => applyQuery(job, "[?name=='j1']")).toThrow(/--query: .*\[\?name=='j1'\]/);
  });
});

describe('renderTsv', () => {
  it('prints scalars bare, objects as tab-separated values and lists one per line', () => {
    expect(renderTsv('Completed')).toBe('Completed');
    expect(renderTsv({ a: 1, b: 'x', c: null })).toBe('1\tx\t');
    expect(renderTsv(['a', 'b'])).toBe('a\nb');
  });
});

describe('renderTable', () => {
  it('aligns columns under their headers', () => {
    const out = renderTable(
      [{ n: 'cpu', s: 'Succeeded' }],
      [
        { header: 'Name', value: (r) => r.n },
        { header: 'State', value: (r) => r.s },
      ],
    );
    expect(out.split('\n')).toEqual(['Name  State', '----  ---------', 'cpu   Succeeded']);
  });
});
