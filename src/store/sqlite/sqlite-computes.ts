import type Database from 'better-sqlite3';
import type { ComputeRecord } from '../../domain/compute/compute-record.js';
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
    const row = statement(this.db, 'SELECT workspace, name, doc FROM computes WHERE workspace = ? AND name = ?').get(workspace, name) as Row | undefined;
    return Promise.resolve(row ? parse(row) : undefined);
  }

  getById(id: string): Promise<ComputeRecord | undefined> {
    const row = statement(this.db, 'SELECT workspace, name, doc FROM computes WHERE id = ?').get(id) as Row | undefined;
    return Promise.resolve(row ? parse(row) : undefined);
  }

  list(filter: ComputeFilter, page: PageRequest): Promise<Page<ComputeRecord>> {
    const [afterWs = '', afterName = ''] = (decodeToken(page.skipToken) ?? []) as string[];
    const rows = statement(this.db, `SELECT workspace, name, doc FROM computes WHERE ${filterSql} AND (workspace > ? OR (workspace = ? AND name > ?)) ORDER BY workspace, name LIMIT ?`)
      .all(...filterArgs(filter), afterWs, afterWs, afterName, page.top + 1) as Row[];
    return Promise.resolve(toPage(rows, page, (r) => [r.workspace, r.name], parse));
  }

  all(filter: ComputeFilter): Promise<ComputeRecord[]> {
    const rows = statement(this.db, `SELECT workspace, name, doc FROM computes WHERE ${filterSql} ORDER BY workspace, name`).all(...filterArgs(filter)) as Row[];
    return Promise.resolve(rows.map(parse));
  }

  insert(record: ComputeRecord): Promise<void> {
    return settle(() => {
      const clash = statement(this.db, 'SELECT workspace, name FROM computes WHERE location = ? AND name_key = ?')
        .get(record.spec.location, record.name.toLowerCase()) as { workspace: string; name: string } | undefined;
      if (clash) {
        throw new HangarError(
          'NameConflict',
          `Compute name '${record.name}' is already used by compute '${clash.name}' in workspace '${clash.workspace}' in location '${record.spec.location}'; compute names are unique per location across all workspaces.`,
          'name',
        );
      }
      statement(this.db, 'INSERT INTO computes (id, workspace, name, name_key, location, compute_type, provisioning_state, doc, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(record.id, record.workspace, record.name, record.name.toLowerCase(), record.spec.location, record.spec.computeType, record.status.provisioningState, JSON.stringify(record), record.version);
      return Promise.resolve();
    });
  }

  update(record: ComputeRecord): Promise<void> {
    return settle(() => {
      const result = statement(this.db, 'UPDATE computes SET doc = ?, provisioning_state = ?, version = ? WHERE id = ? AND version = ?')
        .run(JSON.stringify(record), record.status.provisioningState, record.version, record.id, record.version - 1);
      if (result.changes === 0) {
        throw new HangarError('Conflict', `Compute '${record.name}' was changed concurrently; read it again and retry.`, record.name);
      }
      return Promise.resolve();
    });
  }

  delete(id: string): Promise<boolean> {
    return Promise.resolve(statement(this.db, 'DELETE FROM computes WHERE id = ?').run(id).changes > 0);
  }
}
