import { stringify } from 'yaml';
import { UsageError } from './cli-context.js';

/** A table column: header and how to read the value. */
export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

/** Renders rows as an aligned text table. */
export function renderTable<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => {
    const v = c.value(r);
    return v === undefined || v === null ? '' : String(v);
  }));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (values: string[]): string => values.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(columns.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** Prints a value as json, yaml or a table. */
export function print<T>(value: T | T[], format: string | undefined, columns: Column<T>[]): void {
  const f = format ?? 'json';
  if (f === 'json') process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else if (f === 'yaml') process.stdout.write(stringify(value));
  else if (f === 'table' || f === 'tsv') process.stdout.write(`${renderTable(Array.isArray(value) ? value : [value], columns)}\n`);
  else throw new UsageError(`--output must be json, yaml or table; got '${f}'`);
}
