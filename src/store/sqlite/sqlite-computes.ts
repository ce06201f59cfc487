import type Database from 'better-sqlite3';
import {
  statusPartOf,
  withStatusPart,
  type ComputeRecord,
  type ComputeStatusPart,
} from '../../domain/compute/compute-record.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { ComputeFilter, ComputeRepository, Page, PageRequest } from '../store.js';
import { decodeToken, toPage } from './paging.js';
import { settle } from './settle.js';
import { statement } from './statements.js';

interface Row {
  workspace: string;
  name: string;
  doc: string;
}

const filterSql = `(? IS NULL OR workspace = ?) AND (? IS NULL OR compute_type = ?)
  AND (? IS NULL OR location = ?) AND (? IS NULL OR provisioning_state = ?)`;

function filterArgs(f: ComputeFilter): (string | null)[] {
  return [f.workspace, f.computeType, f.location, f.provisioningState].flatMap((v) => [v ?? null, v ?? null]);
}

const parse = (r: Row): ComputeRecord => JSON.parse(r.doc) as ComputeRecord;

/** Computes as JSON documents with the columns that queries and the uniqueness rule need. */
export class SqliteComputes implements ComputeRepository {
  constructor(private readonly db: Database.Database) {}

  get(workspace: string, name: string): Promise<ComputeRecord | undefined> {
    const row = statement(
      this.db,
      'SELECT workspace, name, doc FROM computes WHERE workspace = ? AND name = ?',
    ).get(workspace, name) as Row | undefined;
    return Promise.resolve(row ? parse(row) : undefined);
  }

  getById(id: string): Promise<ComputeRecord | undefined> {
    const row = statement(this.db, 'SELECT workspace, name, doc FROM computes WHERE id = ?').get(id) as
      Row | undefined;
    return Promise.resolve(row ? parse(row) : undefined);
  }

  list(filter: ComputeFilter, page: PageRequest): Promise<Page<ComputeRecord>> {
    const [afterWs = '', afterName = ''] = (decodeToken(page.skipToken) ?? []) as string[];
    const rows = statement(
      this.db,
      `SELECT workspace, name, doc FROM computes WHERE ${filterSql} AND (workspace > ? OR (workspace = ? AND name > ?)) ORDER BY workspace, name LIMIT ?`,
    ).all(...filterArgs(filter), afterWs, afterWs, afterName, page.top + 1) as Row[];
    return Promise.resolve(toPage(rows, page, (r) => [r.workspace, r.name], parse));
  }

  all(filter: ComputeFilter): Promise<ComputeRecord[]> {
    const rows = statement(
      this.db,
      `SELECT workspace, name, doc FROM computes WHERE ${filterSql} ORDER BY workspace, name`,
    ).all(...filterArgs(filter)) as Row[];
    return Promise.resolve(rows.map(parse));
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
      return written;
    });
  }

  delete(id: string): Promise<boolean> {
    return Promise.resolve(statement(this.db, 'DELETE FROM computes WHERE id = ?').run(id).changes > 0);
  }
}
