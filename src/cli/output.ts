import { compile, search, type JSONValue } from '@jmespath-community/jmespath';
import { stringify } from 'yaml';
import { UsageError } from './usage-error.js';

/** A table column: header and how to read the value. */
export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

/** Renders rows as an aligned text table (tabulate's "simple" format, as `az -o table` prints). */
export function renderTable<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => tableCell(c.value(r))));
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

/** printResult's options: -o/--query, and the columns `-o table` shows when no --query is given. */
export interface PrintOptions<T = never> extends OutputOptions {
  /** Colour jsonc/yamlc (printResult sets it when stdout is a terminal, as az does). */
  color?: boolean;
  // Columns read rows of any shape; `never` keeps Column<Row>[] assignable whatever Row is.
  tableColumns?: Column<T>[];
}

/** The formats `az -o` accepts (jsonc/yamlc are coloured only on a terminal, as az does). */
export const outputFormats = ['json', 'jsonc', 'yaml', 'yamlc', 'table', 'tsv', 'none'] as const;

/** Checks an -o value the way az does: one of the known formats, case-insensitive. */
export function outputFormatOf(output: string | undefined): (typeof outputFormats)[number] {
  const f = (output ?? 'json').toLowerCase();
  if (!(outputFormats as readonly string[]).includes(f))
    throw new UsageError(
      `argument --output/-o: invalid choice: '${output ?? ''}' (choose from ${outputFormats.map((x) => `'${x}'`).join(', ')})`,
    );
  return f as (typeof outputFormats)[number];
}

/** Checks a --query expression compiles (a bad one is a usage error, exit 2, as in az). */
export function checkQuery(expression: string): void {
  try {
    compile(expression);
  } catch (err) {
    throw new UsageError(
      `argument --query: invalid jmespath_type value: '${expression}' (${(err as Error).message})`,
    );
  }
}

/**
 * Applies an `az --query` expression: full JMESPath (fields, indexes, slices, projections, filters
 * such as `[?status=='Completed'].name`, multiselect lists and hashes, pipes, functions), evaluated
 * by @jmespath-community/jmespath as the Azure CLI evaluates it with python's jmespath.
 */
export function applyQuery(value: unknown, expression: string): unknown {
  checkQuery(expression);
  return search(toJson(value) as JSONValue, expression);
}

/** A plain JSON copy with every object's keys sorted, the order az prints entities in. */
function toJson(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.map(toJson);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = toJson(v);
    }
    return out;
  }
  return value;
}

/** A value as python's str() writes it, which az's tsv and table use for cells. */
function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return String(v);
}

function tableCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return pyStr(v);
}

/**
 * Tab-separated values as `az -o tsv` writes them (knack's _TsvOutput): one line per list item
 * (or the one value); an object's values tab-separated in key order; inside a row a nested object
 * is an empty cell and a nested list its length; a bare boolean is lower-case.
 */
export function renderTsv(value: unknown): string {
  const obj = (v: unknown): string => {
    if (Array.isArray(v)) return String(v.length);
    if (v !== null && typeof v === 'object') return '';
    return pyStr(v);
  };
  const row = (v: unknown): string => {
    if (Array.isArray(v)) return v.map(obj).join('\t');
    if (v !== null && typeof v === 'object') return Object.values(v).map(obj).join('\t');
    if (typeof v === 'boolean') return String(v);
    return obj(v);
  };
  return (Array.isArray(value) ? value : [value]).map((v) => `${row(v)}\n`).join('');
}

/** az's automatic table: scalar fields of each item (not id/type/etag), first letter capitalised. */
function autoTable(value: unknown, sortKeys: boolean): string {
  const rows = (Array.isArray(value) ? (value as unknown[]) : [value]).map((item) => {
    const entry = new Map<string, unknown>();
    if (Array.isArray(item)) item.forEach((v, i) => entry.set(`Column${i + 1}`, v));
    else if (item !== null && typeof item === 'object') {
      const keys = Object.keys(item);
      for (const k of sortKeys ? keys.sort() : keys) {
        const v = (item as Record<string, unknown>)[k];
        if (['id', 'type', 'etag'].includes(k) || v === null || v === undefined || typeof v === 'object')
          continue;
        entry.set(k ? `${k[0]?.toUpperCase() ?? ''}${k.slice(1)}` : k, v);
      }
    } else entry.set('Result', item);
    return entry;
  });
  if (rows.length === 0) return '';
  const headers: string[] = [];
  for (const r of rows) for (const k of r.keys()) if (!headers.includes(k)) headers.push(k);
  if (headers.length === 0)
    throw new UsageError('Table output unavailable. Use the --query option to specify an appropriate query.');
  return `${renderTable(
    rows,
    headers.map((h) => ({ header: h, value: (r: Map<string, unknown>) => r.get(h) })),
  )}\n`;
}

/**
 * What a command prints for `value` (already the flat az ml shape): --query applied, then -o.
 * A result of null (a query that selects nothing) prints nothing, in every format, as az does.
 */
export function formatResult<T>(value: unknown, opts: PrintOptions<T>): string {
  const format = outputFormatOf(opts.output);
  const data = toJson(value);
  if (opts.query) checkQuery(opts.query);
  // Query results keep their own key order (multiselect hashes), which tsv and table follow.
  const shown = opts.query ? search(data as JSONValue, opts.query) : data;
  if (shown === null || format === 'none') return '';
  switch (format) {
    case 'json':
    case 'jsonc': {
      const text = `${JSON.stringify(toJson(shown), null, 2)}\n`;
      return format === 'jsonc' && opts.color ? colorJson(text) : text;
    }
    case 'yaml':
    case 'yamlc': {
      const text = stringify(toJson(shown));
      return format === 'yamlc' && opts.color ? colorYaml(text) : text;
    }
    case 'tsv':
      return renderTsv(shown);
    case 'table': {
      if (opts.tableColumns && opts.tableColumns.length > 0 && !opts.query) {
        const rows = (Array.isArray(value) ? value : [value]) as T[];
        return rows.length === 0 ? '' : `${renderTable(rows, opts.tableColumns)}\n`;
      }
      return autoTable(shown, !opts.query);
    }
  }
}

/** Prints a command's result (see formatResult). */
export function printResult<T>(value: unknown, opts: PrintOptions<T>): void {
  process.stdout.write(formatResult(value, { color: process.stdout.isTTY === true, ...opts }));
}

const paint = (code: number, text: string): string => `\x1b[${code}m${text}\x1b[0m`;

/** jsonc: keys blue, strings yellow, numbers and literals cyan (az colours with pygments). */
export function colorJson(text: string): string {
  return text.replace(
    /("(?:[^"\\]|\\.)*")(\s*:)?|\b(?:true|false|null)\b|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g,
    (m, str: string | undefined, colon: string | undefined) =>
      str === undefined ? paint(36, m) : colon ? `${paint(94, str)}${colon}` : paint(33, str),
  );
}

/** yamlc: keys blue. */
export function colorYaml(text: string): string {
  return text.replace(
    /^(\s*(?:- )?)([^\s:#][^:\n]*):(?=\s|$)/gm,
    (_m, lead: string, key: string) => `${lead}${paint(94, key)}:`,
  );
}

/** Prints a value with the given columns for `-o table`; kept for commands written before printResult. */
export function print<T>(
  value: T | T[],
  options: OutputOptions | string | undefined,
  columns: Column<T>[],
): void {
  const o = typeof options === 'string' ? { output: options } : (options ?? {});
  printResult<T>(value, { ...o, tableColumns: columns });
}
