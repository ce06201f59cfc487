import { stringify } from 'yaml';
import { UsageError } from './cli-context.js';

/** A table column: header and how to read the value. */
export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

/** Renders rows as an aligned text table. */
export function renderTable<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((r) =>
    columns.map((c) => {
      const v = c.value(r);
      return v === undefined || v === null ? '' : String(v);
    }),
  );
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, ...cells.map((row) => (row[i] ?? '').length)),
  );
  const line = (values: string[]): string =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    line(columns.map((c) => c.header)),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map(line),
  ].join('\n');
}

/** What a command prints: its --output format and --query expression. */
export interface OutputOptions {
  output?: string;
  query?: string;
}

/**
 * Applies an `az --query` expression. Supported: the JMESPath subset scripts use — dotted fields
 * (`properties.status`), indexes (`[0]`, `[-1]`) and projections over lists (`[].name`, `[*].name`).
 */
export function applyQuery(value: unknown, expression: string): unknown {
  const tokens = expression.match(/\[\*?\]|\[-?\d+\]|[A-Za-z_][\w-]*|\./g) ?? [];
  if (tokens.join('') !== expression.replace(/\s+/g, ''))
    throw new UsageError(`--query: only fields, [N] and [] projections are supported; got '${expression}'`);
  return evaluate(
    value,
    tokens.filter((t) => t !== '.'),
  );
}

function evaluate(value: unknown, tokens: string[]): unknown {
  const [head, ...rest] = tokens;
  if (head === undefined || value === undefined || value === null) return value ?? null;
  if (head === '[]' || head === '[*]') {
    if (!Array.isArray(value)) return null;
    return value.map((v) => evaluate(v, rest)).filter((v) => v !== null);
  }
  if (head.startsWith('[')) {
    if (!Array.isArray(value)) return null;
    const i = Number(head.slice(1, -1));
    return evaluate(value[i < 0 ? value.length + i : i], rest);
  }
  if (typeof value !== 'object' || Array.isArray(value)) return null;
  return evaluate((value as Record<string, unknown>)[head], rest);
}

/** Tab-separated values as `az -o tsv` prints them: scalars bare, one list item per line. */
export function renderTsv(value: unknown): string {
  const cell = (v: unknown): string =>
    v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const line = (v: unknown): string =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.values(v).map(cell).join('\t')
      : Array.isArray(v)
        ? v.map(cell).join('\t')
        : cell(v);
  return (Array.isArray(value) ? value.map(line) : [line(value)]).join('\n');
}

/** Prints a value as json, yaml, tsv or a table (or nothing, `none`, as az does), after applying --query. */
export function print<T>(
  value: T | T[],
  options: OutputOptions | string | undefined,
  columns: Column<T>[],
): void {
  const o = typeof options === 'string' ? { output: options } : (options ?? {});
  const f = o.output ?? 'json';
  const shown: unknown = o.query ? applyQuery(value, o.query) : value;
  if (f === 'none') return;
  if (f === 'json') process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
  else if (f === 'yaml') process.stdout.write(stringify(shown));
  else if (f === 'tsv') process.stdout.write(`${renderTsv(shown)}\n`);
  else if (f === 'table' && !o.query)
    process.stdout.write(`${renderTable(Array.isArray(value) ? value : [value], columns)}\n`);
  else if (f === 'table') process.stdout.write(`${renderTsv(shown)}\n`);
  else throw new UsageError(`--output must be json, yaml, table, tsv or none; got '${f}'`);
}
