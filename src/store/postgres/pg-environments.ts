import type { ListView } from '../../domain/assets/asset-record.js';
import type { EnvironmentRecord } from '../../domain/environments/environment-record.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import { decodeToken, toPage } from '../sqlite/paging.js';
import type { EnvironmentRepository, Page, PageRequest } from '../store.js';
import type { PgDb } from './pg-db.js';

interface Row {
  seq: string;
  doc: string;
}

const parse = (r: Row): EnvironmentRecord => JSON.parse(r.doc) as EnvironmentRecord;

/** Environment versions as JSON documents; `seq` orders versions by creation. */
export class PgEnvironments implements EnvironmentRepository {
  constructor(private readonly db: PgDb) {}

  async get(workspace: string, name: string, version: string): Promise<EnvironmentRecord | undefined> {
    const row = await this.db.one<Row>(
      'SELECT seq, doc FROM environments WHERE workspace = $1 AND name = $2 AND version = $3',
      [workspace, name, version],
    );
    return row ? parse(row) : undefined;
  }

  async latest(workspace: string, name: string): Promise<EnvironmentRecord | undefined> {
    const row = await this.db.one<Row>(
      'SELECT seq, doc FROM environments WHERE workspace = $1 AND name = $2 AND NOT archived ORDER BY seq DESC LIMIT 1',
      [workspace, name],
    );
    return row ? parse(row) : undefined;
  }

  async list(
    workspace: string,
    filter: { name?: string; view?: ListView },
    page: PageRequest,
  ): Promise<Page<EnvironmentRecord>> {
    const [after] = (decodeToken(page.skipToken) ?? []) as number[];
    // ActiveOnly (the default) hides archived versions; ArchivedOnly shows only them; All both.
    const archived = filter.view === 'ArchivedOnly' ? true : filter.view === 'All' ? null : false;
    const rows = await this.db.rows<Row>(
      `SELECT seq, doc FROM environments WHERE workspace = $1 AND ($2::text IS NULL OR name = $2)
         AND ($3::boolean IS NULL OR archived = $3) AND ($4::bigint IS NULL OR seq < $4) ORDER BY seq DESC LIMIT $5`,
      [workspace, filter.name ?? null, archived, after ?? null, page.top + 1],
    );
    return toPage(rows, page, (r) => [Number(r.seq)], parse);
  }

  insert(record: EnvironmentRecord): Promise<void> {
    // The next seq is read and used under the transaction lock, so two inserts never share one.
    return this.db.transaction(async () => {
      const r = await this.db.query(
        `INSERT INTO environments (workspace, name, version, created_at, seq, doc, archived)
           SELECT $1, $2, $3, $4, COALESCE(MAX(seq), 0) + 1, $5, $6 FROM environments ON CONFLICT DO NOTHING`,
        [
          record.workspace,
          record.name,
          record.version,
          record.createdAt,
          JSON.stringify(record),
          record.archived === true,
        ],
      );
      if (r.rowCount === 0)
        throw new HangarError(
          'NameConflict',
          `Environment '${record.name}' version '${record.version}' already exists; versions are immutable, create a new version.`,
          'version',
        );
    });
  }

  async update(record: EnvironmentRecord): Promise<boolean> {
    const r = await this.db.query(
      'UPDATE environments SET doc = $1, archived = $2 WHERE workspace = $3 AND name = $4 AND version = $5',
      [JSON.stringify(record), record.archived === true, record.workspace, record.name, record.version],
    );
    return (r.rowCount ?? 0) > 0;
  }
}
