import { describe, expect, it } from 'vitest';
import { applyQuery, formatResult, renderTable, renderTsv } from './output.js';

const job = { name: 'j1', status: 'Completed', attempts: [{ n: 1 }, { n: 2 }], tags: { team: 'vision' } };
const jobs = [job, { name: 'j2', status: 'Failed', attempts: [], tags: {} }];

describe('applyQuery (JMESPath)', () => {
  it('reads fields, indexes and projections', () => {
    expect(applyQuery(job, 'status')).toBe('Completed');
    expect(applyQuery(job, 'attempts[-1].n')).toBe(2);
    expect(applyQuery(jobs, '[].name')).toEqual(['j1', 'j2']);
    expect(applyQuery(job, 'missing.field')).toBeNull();
  });

  it('evaluates filters, multiselect hashes, functions and pipes', () => {
    expect(applyQuery(jobs, "[?status=='Completed'].name")).toEqual(['j1']);
    expect(applyQuery(jobs, '[].{Name:name, Runs:length(attempts)}')).toEqual([
      { Name: 'j1', Runs: 2 },
      { Name: 'j2', Runs: 0 },
    ]);
    expect(applyQuery(jobs, 'length([?status!=`"Completed"`])')).toBe(1);
    expect(applyQuery(jobs, '[0] | tags.team')).toBe('vision');
  });

  it('refuses an expression that is not JMESPath, as az does (a usage error)', () => {
    expect(() => applyQuery(job, 'foo[')).toThrow(/argument --query: invalid jmespath_type value: 'foo\['/);
  });
});

describe('formatResult', () => {
  it('prints nothing for a query that selects nothing, in every format', () => {
    for (const output of ['json', 'yaml', 'tsv', 'table'])
      expect(formatResult(job, { output, query: 'nope' })).toBe('');
  });

  it('prints json with sorted keys and an empty list as []', () => {
    expect(formatResult({ b: 1, a: { d: 1, c: 2 } }, {})).toBe(
      '{\n  "a": {\n    "c": 2,\n    "d": 1\n  },\n  "b": 1\n}\n',
    );
    expect(formatResult([], { output: 'json' })).toBe('[]\n');
    expect(formatResult([], { output: 'tsv' })).toBe('');
  });

  it('prints the bare value for a scalar query with -o tsv', () => {
    expect(formatResult(job, { output: 'tsv', query: 'status' })).toBe('Completed\n');
    expect(formatResult(jobs, { output: 'tsv', query: "[?status=='Completed'].name" })).toBe('j1\n');
  });

  it('prints yaml and accepts jsonc/yamlc (plain when not a terminal) and none', () => {
    expect(formatResult({ name: 'x', n: 1 }, { output: 'yaml' })).toBe('n: 1\nname: x\n');
    expect(formatResult({ name: 'x' }, { output: 'yamlc' })).toBe('name: x\n');
    expect(formatResult({ name: 'x' }, { output: 'jsonc' })).toBe('{\n  "name": "x"\n}\n');
    expect(formatResult({ name: 'x' }, { output: 'none' })).toBe('');
  });

  it('colours jsonc and yamlc on a terminal', () => {
    expect(formatResult({ n: 1, s: 'a:1' }, { output: 'jsonc', color: true })).toBe(
      '{\n  \x1b[94m"n"\x1b[0m: \x1b[36m1\x1b[0m,\n  \x1b[94m"s"\x1b[0m: \x1b[33m"a:1"\x1b[0m\n}\n',
    );
    expect(formatResult({ n: 1 }, { output: 'json', color: true })).toBe('{\n  "n": 1\n}\n');
    expect(formatResult({ n: { m: 1 } }, { output: 'yamlc', color: true })).toBe(
      '\x1b[94mn\x1b[0m:\n  \x1b[94mm\x1b[0m: 1\n',
    );
  });

  it('refuses an unknown -o, naming the choices', () => {
    expect(() => formatResult(job, { output: 'xml' })).toThrow(
      /argument --output\/-o: invalid choice: 'xml' \(choose from 'json', 'jsonc', 'yaml', 'yamlc', 'table', 'tsv', 'none'\)/,
    );
  });

  it('prints an automatic table of scalar fields when a query is given (or no columns are)', () => {
    expect(formatResult(jobs, { output: 'table', query: '[].{Name:name, Status:status}' })).toBe(
      'Name  Status\n----  ---------\nj1    Completed\nj2    Failed\n',
    );
    expect(formatResult({ id: '/x', name: 'n', size: 'S', nested: { a: 1 } }, { output: 'table' })).toBe(
      'Name  Size\n----  ----\nn     S\n',
    );
  });

  it('uses the command columns for -o table without a query', () => {
    const out = formatResult(jobs, {
      output: 'table',
      tableColumns: [{ header: 'Job', value: (r: Record<string, unknown>) => r.name }],
    });
    expect(out).toBe('Job\n---\nj1\nj2\n');
  });
});

describe('renderTsv (knack _TsvOutput)', () => {
  it('prints scalars bare, objects values in key order, lists one item per line', () => {
    expect(renderTsv('Completed')).toBe('Completed\n');
    expect(renderTsv(true)).toBe('true\n');
    expect(renderTsv(['a', 'b'])).toBe('a\nb\n');
    expect(renderTsv({ a: 1, b: 'x', c: null, d: true })).toBe('1\tx\tNone\tTrue\n');
  });

  it('writes a nested object as an empty cell and a nested list as its length', () => {
    expect(renderTsv([{ name: 'n', tags: { a: '1' }, ids: [1, 2, 3] }])).toBe('n\t\t3\n');
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
