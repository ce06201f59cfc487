import {
  statusPartOf,
  withStatusPart,
  type ComputeRecord,
  type ComputeStatusPart,
} from '../../domain/compute/compute-record.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import { decodeToken, toPage } from '../sqlite/paging.js';
import type { ComputeFilter, ComputeRepository, Page, PageRequest } from '../store.js';
import type { PgDb } from './pg-db.js';

interface Row {
  workspace: string;
  name: string;
  doc: string;
}

const filterSql = `($1::text IS NULL OR workspace = $1) AND ($2::text IS NULL OR compute_type = $2)
  AND ($3::text IS NULL OR location = $3) AND ($4::text IS NULL OR provisioning_state = $4)`;

const filterArgs = (f: ComputeFilter): (string | null)[] =>
  [f.workspace, f.computeType, f.location, f.provisioningState].map((v) => v ?? null);

const parse = (r: Row): ComputeRecord => JSON.parse(r.doc) as ComputeRecord;

/** Computes as JSON documents with the columns that queries and the uniqueness rule need. */
export class PgComputes implements ComputeRepository {
  constructor(private readonly db: PgDb) {}

  async get(workspace: string, name: string): Promise<ComputeRecord | undefined> {
    const row = await this.db.one<Row>(
      'SELECT workspace, name, doc FROM computes WHERE workspace = $1 AND name = $2',
      [workspace, name],
    );
    return row ? parse(row) : undefined;
  }

  async getById(id: string): Promise<ComputeRecord | undefined> {
    const row = await this.db.one<Row>('SELECT workspace, name, doc FROM computes WHERE id = $1', [id]);
    return row ? parse(row) : undefined;
  }

  async list(filter: ComputeFilter, page: PageRequest): Promise<Page<ComputeRecord>> {
    const [afterWs = '', afterName = ''] = (decodeToken(page.skipToken) ?? []) as string[];
    const rows = await this.db.rows<Row>(
      `SELECT workspace, name, doc FROM computes WHERE ${filterSql} AND (workspace > $5 OR (workspace = $5 AND name > $6))
         ORDER BY workspace, name LIMIT $7`,
      [...filterArgs(filter), afterWs, afterName, page.top + 1],
    );
    return toPage(rows, page, (r) => [r.workspace, r.name], parse);
  }

  async all(filter: ComputeFilter): Promise<ComputeRecord[]> {
    const rows = await this.db.rows<Row>(
      `SELECT workspace, name, doc FROM computes WHERE ${filterSql} ORDER BY workspace, name`,
      filterArgs(filter),
    );
    return rows.map(parse);
  }

  async insert(record: ComputeRecord): Promise<void> {
    const r = await this.db.query(
      `INSERT INTO computes (id, workspace, name, name_key, location, compute_type, provisioning_state, doc, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
      [
        record.id,
        record.workspace,
        record.name,
        record.name.toLowerCase(),
        record.spec.location,
        record.spec.computeType,
        record.status.provisioningState,
        JSON.stringify(record),
        record.version,
      ],
    );
    if (r.rowCount !== 0) return;
    const clash = await this.db.one<{ workspace: string; name: string }>(
      'SELECT workspace, name FROM computes WHERE location = $1 AND name_key = $2',
      [record.spec.location, record.name.toLowerCase()],
    );
    if (clash)
      throw new HangarError(
        'NameConflict',
        `Compute name '${record.name}' is already used by compute '${clash.name}' in workspace '${clash.workspace}' in location '${record.spec.location}'; compute names are unique per location across all workspaces.`,
        'name',
      );
    throw new HangarError('NameConflict', `A compute with id '${record.id}' already exists.`, 'name');
  }

  update(record: ComputeRecord): Promise<ComputeRecord> {
    const conflict = (): HangarError =>
      new HangarError(
        'Conflict',
        `Compute '${record.name}' was changed concurrently; read it again and retry.`,
        record.name,
      );
    // Read the stored status under a row lock and write beside it, so a status write cannot slip between.
    return this.db.transaction(async () => {
      const row = await this.db.one<Row>(
        'SELECT workspace, name, doc FROM computes WHERE id = $1 AND version = $2 FOR UPDATE',
        [record.id, record.version],
      );
      if (!row) throw conflict();
      const written = { ...withStatusPart(record, statusPartOf(parse(row))), version: record.version + 1 };
      const r = await this.db.query(
        'UPDATE computes SET doc = $1, version = version + 1 WHERE id = $2 AND version = $3',
        [JSON.stringify(written), record.id, record.version],
      );
      if (r.rowCount === 0) throw conflict();
      return written;
    }, false);
  }

  updateStatus(
    id: string,
    change: (current: ComputeRecord) => Partial<ComputeStatusPart> | undefined,
  ): Promise<ComputeRecord | undefined> {
    return this.db.transaction(async () => {
      const row = await this.db.one<Row>(
        'SELECT workspace, name, doc FROM computes WHERE id = $1 FOR UPDATE',
        [id],
      );
      if (!row) return undefined;
      const current = parse(row);
      const next = change(current);
      if (!next) return undefined;
      const written = withStatusPart(current, { ...statusPartOf(current), ...next });
      // The version stays: a status write never makes a spec write conflict.
      await this.db.query('UPDATE computes SET doc = $1, provisioning_state = $2 WHERE id = $3', [
        JSON.stringify(written),
        written.status.provisioningState,
        id,
      ]);
      return written;
    }, false);
  }

  async delete(id: string): Promise<boolean> {
    return ((await this.db.query('DELETE FROM computes WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }
}
