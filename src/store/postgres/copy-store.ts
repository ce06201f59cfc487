import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../sqlite/sqlite-store.js';
import { redactUrl } from './pg-db.js';
import { PostgresStore } from './postgres-store.js';

/** How many rows each table copied. */
export type CopyReport = { table: string; rows: number }[];

/** The SQLite file named: the file itself, or HANGAR_HOME/hangar.db for a folder. */
export function sqlitePathOf(from: string): string {
  const path = existsSync(from) && statSync(from).isDirectory() ? join(from, 'hangar.db') : from;
  if (!existsSync(path)) throw new Error(`--from: no SQLite database at ${path}`);
  return path;
}

const batchRows = 500;

/**
 * Copies every table of a SQLite store into an empty PostgreSQL database, in one transaction (all
 * of it lands, or nothing). Both schemas are brought up to date first; the tables are the same
 * (names and columns), PostgreSQL's booleans taken from SQLite's 0/1, and its sequences (events,
 * audit, lineage) set past the copied ids. Refuses a database that holds data, and a SQLite table
 * the PostgreSQL schema does not know (nothing is dropped silently). The server must be stopped.
 */
export async function copySqliteToPostgres(from: string, to: string): Promise<CopyReport> {
  const path = sqlitePathOf(from);
  const source = new SqliteStore(path);
  await source.migrate();
  await source.close();
  const target = new PostgresStore(to, { poolSize: 1 });
  const db = new Database(path, { readonly: true });
  try {
    await target.migrate().catch((err: unknown) => {
      throw new Error(`--to: cannot open ${redactUrl(to)}: ${(err as Error).message}`);
    });
    const pgTables = (
      await target.db.rows<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations' ORDER BY table_name",
      )
    ).map((r) => r.table_name);
    const sqliteTables = (
      db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .all() as { name: string }[]
    ).map((r) => r.name);
    const unknown = sqliteTables.filter((t) => !pgTables.includes(t));
    if (unknown.length > 0)
      throw new Error(
        `the SQLite database has table(s) the PostgreSQL schema lacks: ${unknown.join(', ')}; upgrade Hangar on both sides first`,
      );
    for (const t of pgTables) {
      const n = await target.db.one<{ n: string }>(`SELECT count(*) AS n FROM "${t}"`);
      if (Number(n?.n) > 0)
        throw new Error(
          `--to: the database is not empty (table ${t} has ${n?.n} rows); migrate-store copies into a new, empty database`,
        );
    }
    const report: CopyReport = [];
    await target.transaction(async () => {
      for (const table of sqliteTables) {
        const cols = await target.db.rows<{ column_name: string; data_type: string }>(
          'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1',
          [table],
        );
        const sqliteCols = (db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[]).map(
          (c) => c.name,
        );
        const missing = sqliteCols.filter((c) => !cols.some((p) => p.column_name === c));
        if (missing.length > 0)
          throw new Error(`table ${table}: column(s) ${missing.join(', ')} are not in the PostgreSQL schema`);
        const boolean = new Set(cols.filter((c) => c.data_type === 'boolean').map((c) => c.column_name));
        const list = sqliteCols.map((c) => `"${c}"`).join(', ');
        let rows = 0;
        let batch: unknown[][] = [];
        const flush = async (): Promise<void> => {
          if (batch.length === 0) return;
          const values = batch
            .map((_, r) => `(${sqliteCols.map((_c, i) => `$${r * sqliteCols.length + i + 1}`).join(', ')})`)
            .join(', ');
          await target.db.query(`INSERT INTO "${table}" (${list}) VALUES ${values}`, batch.flat());
          rows += batch.length;
          batch = [];
        };
        // In rowid order: lineage and other insertion-ordered rows keep their order.
        for (const row of db.prepare(`SELECT ${list} FROM "${table}" ORDER BY rowid`).iterate() as Iterable<
          Record<string, unknown>
        >) {
          batch.push(sqliteCols.map((c) => (boolean.has(c) ? Boolean(row[c]) : row[c])));
          if (batch.length >= batchRows) await flush();
        }
        await flush();
        // Serial columns continue after the copied ids.
        for (const c of cols) {
          const seq = await target.db.one<{ s: string | null }>(
            'SELECT pg_get_serial_sequence($1, $2) AS s',
            [table, c.column_name],
          );
          if (seq?.s)
            await target.db.query(
              `SELECT setval($1, GREATEST((SELECT COALESCE(MAX("${c.column_name}"), 0) FROM "${table}"), 1), (SELECT COUNT(*) > 0 FROM "${table}"))`,
              [seq.s],
            );
        }
        report.push({ table, rows });
      }
    });
    return report;
  } finally {
    db.close();
    await target.close();
  }
}
