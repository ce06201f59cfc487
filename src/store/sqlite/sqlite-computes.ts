import type Database from 'better-sqlite3';
import {
  statusPartOf,
  withStatusPart,
  type ComputeRecord,
  type ComputeStatusPart,
} from '../../domain/compute/compute-record.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { ComputeFilter, ComputeRepository, Page, PageRequest } from '../store.js';
import { deepFreeze } from './frozen.js';
import { decodeToken, toPage } from './paging.js';
import { settle } from './settle.js';
import { statement } from './statements.js';

interface Row {
  workspace: string;
  name: string;
  doc: string;
}

/** The columns stored before the document: reading them never copies the document out of SQLite. */
interface KeyRow {
  id: string;
  workspace: string;
  name: string;
}

/**
 * The WHERE clause of a filter with only the fields it sets, so SQLite can use an index (a
 * create's quota check reads one location's computes; `? IS NULL OR` terms would scan them all).
 */
function where(f: ComputeFilter): { sql: string; args: string[] } {
  const terms = (
    [
      ['workspace', f.workspace],
      ['compute_type', f.computeType],
      ['location', f.location],
      ['provisioning_state', f.provisioningState],
    ] as const
  ).filter((t): t is [(typeof t)[0], string] => t[1] !== undefined);
  return {
    sql: terms.length ? terms.map(([col]) => `${col} = ?`).join(' AND ') : '1',
    args: terms.map(([, v]) => v),
  };
}

const parse = (r: Row): ComputeRecord => JSON.parse(r.doc) as ComputeRecord;

/** Computes as JSON documents with the columns that queries and the uniqueness rule need. */
export class SqliteComputes implements ComputeRepository {
  /**
   * Parsed documents by id: lists and every create's quota check read all of a location's
   * computes, and parsing them each time was most of those requests' cost. This repository is
   * the only writer of the table on its connection and keeps the entries current with what it
   * writes; a commit by another connection (PRAGMA data_version) or a rollback drops them all.
   */
  private readonly parsed = new Map<string, ComputeRecord>();
  private dataVersion: number | undefined;
  /**
   * The keys of list() pages as last read, by query: a page of 100 computes costs more to read
   * out of SQLite than to answer from memory. Any write by this repository drops them all, as
   * do a rollback and another connection's commit (forget()).
   */
  private readonly pages = new Map<string, KeyRow[]>();

  constructor(private readonly db: Database.Database) {}

  /** Forgets every parsed document (a rolled-back transaction may have left some that were never committed). */
  forget(): void {
    this.parsed.clear();
    this.pages.clear();
  }

  /** A write by this repository: the compute's parsed record and every kept page are stale. */
  private changed(id: string): void {
    this.parsed.delete(id);
    this.pages.clear();
  }

  private cacheCurrent(): void {
    const v = statement(this.db, 'PRAGMA data_version').pluck().get() as number;
    if (this.dataVersion !== v) this.forget();
    this.dataVersion = v;
  }

  /** The record of a row found by its keys: from the cache, else read and parsed once. */
  private readonly recordOf = (k: KeyRow): ComputeRecord | undefined => {
    const hit = this.parsed.get(k.id);
    if (hit) return hit;
    const row = statement(this.db, 'SELECT workspace, name, doc FROM computes WHERE id = ?').get(k.id) as
      Row | undefined;
    return row ? this.remember(parse(row)) : undefined;
  };

  private remember(record: ComputeRecord): ComputeRecord {
    // Computes are few (hundreds); a bound only guards against a runaway table.
    if (this.parsed.size >= 50_000) this.parsed.clear();
    const frozen = deepFreeze(record);
    this.parsed.set(record.id, frozen);
    return frozen;
  }

  private byKeys(rows: KeyRow[]): ComputeRecord[] {
    return rows.map(this.recordOf).filter((r): r is ComputeRecord => r !== undefined);
  }

  get(workspace: string, name: string): Promise<ComputeRecord | undefined> {
    this.cacheCurrent();
    const key = statement(
      this.db,
      'SELECT id, workspace, name FROM computes WHERE workspace = ? AND name = ?',
    ).get(workspace, name) as KeyRow | undefined;
    return Promise.resolve(key ? this.recordOf(key) : undefined);
  }

  getById(id: string): Promise<ComputeRecord | undefined> {
    this.cacheCurrent();
    const key = statement(this.db, 'SELECT id, workspace, name FROM computes WHERE id = ?').get(id) as
      KeyRow | undefined;
    return Promise.resolve(key ? this.recordOf(key) : undefined);
  }

  list(filter: ComputeFilter, page: PageRequest): Promise<Page<ComputeRecord>> {
    this.cacheCurrent();
    const [afterWs = '', afterName = ''] = (decodeToken(page.skipToken) ?? []) as string[];
    const w = where(filter);
    const sql = `SELECT id, workspace, name FROM computes WHERE ${w.sql} AND (workspace > ? OR (workspace = ? AND name > ?)) ORDER BY workspace, name LIMIT ?`;
    const args = [...w.args, afterWs, afterWs, afterName, page.top + 1];
    const key = `${sql}\0${JSON.stringify(args)}`;
    let rows = this.pages.get(key);
    if (!rows) {
      rows = statement(this.db, sql).all(...args) as KeyRow[];
      if (this.pages.size >= 1_000) this.pages.clear();
      this.pages.set(key, rows);
    }
    const result = toPage(
      rows,
      page,
      (r) => [r.workspace, r.name],
      (r) => r,
    );
    return Promise.resolve({ ...result, items: this.byKeys(result.items) });
  }

  all(filter: ComputeFilter): Promise<ComputeRecord[]> {
    this.cacheCurrent();
    const w = where(filter);
    const rows = statement(
      this.db,
      `SELECT id, workspace, name FROM computes WHERE ${w.sql} ORDER BY workspace, name`,
    ).all(...w.args) as KeyRow[];
    return Promise.resolve(this.byKeys(rows));
  }

  insert(record: ComputeRecord): Promise<void> {
    return settle(() => {
      const clash = statement(
        this.db,
        'SELECT workspace, name FROM computes WHERE location = ? AND name_key = ?',
      ).get(record.spec.location, record.name.toLowerCase()) as
        { workspace: string; name: string } | undefined;
      if (clash) {
        throw new HangarError(
          'NameConflict',
          `Compute name '${record.name}' is already used by compute '${clash.name}' in workspace '${clash.workspace}' in location '${record.spec.location}'; compute names are unique per location across all workspaces.`,
          'name',
        );
      }
      statement(
        this.db,
        'INSERT INTO computes (id, workspace, name, name_key, location, compute_type, provisioning_state, doc, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(
        record.id,
        record.workspace,
        record.name,
        record.name.toLowerCase(),
        record.spec.location,
        record.spec.computeType,
        record.status.provisioningState,
        JSON.stringify(record),
        record.version,
      );
      // Writes drop the entry rather than fill it: the caller keeps (and may change) its record.
      this.changed(record.id);
      return Promise.resolve();
    });
  }

  update(record: ComputeRecord): Promise<ComputeRecord> {
    return settle(() => {
      const conflict = (): HangarError =>
        new HangarError(
          'Conflict',
          `Compute '${record.name}' was changed concurrently; read it again and retry.`,
          record.name,
        );
      // Read and write in one synchronous step: nothing else writes in between.
      const row = statement(
        this.db,
        'SELECT workspace, name, doc FROM computes WHERE id = ? AND version = ?',
      ).get(record.id, record.version) as Row | undefined;
      if (!row) throw conflict();
      // The spec side is the caller's; the status part stays as stored.
      const written = { ...withStatusPart(record, statusPartOf(parse(row))), version: record.version + 1 };
      const result = statement(
        this.db,
        'UPDATE computes SET doc = ?, version = ? WHERE id = ? AND version = ?',
      ).run(JSON.stringify(written), written.version, record.id, record.version);
      if (result.changes === 0) throw conflict();
      this.changed(record.id);
      return written;
    });
  }

  updateStatus(
    id: string,
    change: (current: ComputeRecord) => Partial<ComputeStatusPart> | undefined,
  ): Promise<ComputeRecord | undefined> {
    return settle(() => {
      const row = statement(this.db, 'SELECT workspace, name, doc FROM computes WHERE id = ?').get(id) as
        Row | undefined;
      if (!row) return undefined;
      const current = parse(row);
      const next = change(current);
      if (!next) return undefined;
      const written = withStatusPart(current, { ...statusPartOf(current), ...next });
      // The version stays: a status write never makes a spec write conflict.
      statement(
        this.db,
        'UPDATE computes SET doc = ?, provisioning_state = ? WHERE id = ? AND version = ?',
      ).run(JSON.stringify(written), written.status.provisioningState, id, current.version);
      this.changed(id);
      return written;
    });
  }

  delete(id: string): Promise<boolean> {
    this.changed(id);
    return Promise.resolve(statement(this.db, 'DELETE FROM computes WHERE id = ?').run(id).changes > 0);
  }
}
