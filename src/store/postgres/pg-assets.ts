import type { AssetKind, AssetRecord, LineageEntry, ListView } from '../../domain/assets/asset-record.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import { decodeToken, toPage } from '../sqlite/paging.js';
import type { AssetFilter, AssetRepository, Page, PageRequest } from '../store.js';
import type { PgDb } from './pg-db.js';

interface Row {
  seq: string;
  kind: string;
  workspace: string;
  name: string;
  version: string;
  archived: boolean;
  snapshot_id: string | null;
  created_at: string;
  doc: string;
}

interface Stored {
  modifiedAt: string;
  createdBy?: string;
  doc: Record<string, unknown>;
}

function parse(r: Row): AssetRecord {
  const stored = JSON.parse(r.doc) as Stored;
  const record: AssetRecord = {
    kind: r.kind as AssetKind,
    workspace: r.workspace,
    name: r.name,
    version: r.version,
    archived: r.archived,
    createdAt: r.created_at,
    modifiedAt: stored.modifiedAt,
    doc: stored.doc,
  };
  if (r.snapshot_id !== null) record.snapshotId = r.snapshot_id;
  if (stored.createdBy !== undefined) record.createdBy = stored.createdBy;
  return record;
}

function docOf(r: AssetRecord): string {
  const stored: Stored = { modifiedAt: r.modifiedAt, doc: r.doc };
  if (r.createdBy !== undefined) stored.createdBy = r.createdBy;
  return JSON.stringify(stored);
}

/** The `archived` a view keeps: ActiveOnly (default) false, ArchivedOnly true, All either (null). */
const archivedOf = (view: ListView | undefined): boolean | null =>
  view === 'ArchivedOnly' ? true : view === 'All' ? null : false;

const columns = 'seq, kind, workspace, name, version, archived, snapshot_id, created_at, doc';
const where =
  'kind = $1 AND workspace = $2 AND ($3::text IS NULL OR name = $3) AND ($4::boolean IS NULL OR archived = $4)';
const lineageColumns = 'workspace, job, direction, port, kind, name, version, at';

/** Versioned assets as rows of one table; `seq` orders versions by creation. */
export class PgAssets implements AssetRepository {
  constructor(private readonly db: PgDb) {}

  async get(
    kind: AssetKind,
    workspace: string,
    name: string,
    version: string,
  ): Promise<AssetRecord | undefined> {
    const row = await this.db.one<Row>(
      `SELECT ${columns} FROM assets WHERE kind = $1 AND workspace = $2 AND name = $3 AND version = $4`,
      [kind, workspace, name, version],
    );
    return row ? parse(row) : undefined;
  }

  async list(
    kind: AssetKind,
    workspace: string,
    filter: AssetFilter,
    page: PageRequest,
  ): Promise<Page<AssetRecord>> {
    const [after] = (decodeToken(page.skipToken) ?? []) as number[];
    const rows = await this.db.rows<Row>(
      `SELECT ${columns} FROM assets WHERE ${where} AND ($5::bigint IS NULL OR seq < $5) ORDER BY seq DESC LIMIT $6`,
      [kind, workspace, filter.name ?? null, archivedOf(filter.view), after ?? null, page.top + 1],
    );
    return toPage(rows, page, (r) => [Number(r.seq)], parse);
  }

  async all(kind: AssetKind, workspace: string, filter: AssetFilter): Promise<AssetRecord[]> {
    const rows = await this.db.rows<Row>(`SELECT ${columns} FROM assets WHERE ${where} ORDER BY seq DESC`, [
      kind,
      workspace,
      filter.name ?? null,
      archivedOf(filter.view),
    ]);
    return rows.map(parse);
  }

  insert(record: AssetRecord): Promise<void> {
    // The next seq is read and used under the transaction lock, so two inserts never share one.
    return this.db.transaction(async () => {
      const r = await this.db.query(
        `INSERT INTO assets (kind, workspace, name, version, archived, snapshot_id, created_at, seq, doc)
           SELECT $1, $2, $3, $4, $5, $6, $7, COALESCE(MAX(seq), 0) + 1, $8 FROM assets ON CONFLICT DO NOTHING`,
        [
          record.kind,
          record.workspace,
          record.name,
          record.version,
          record.archived,
          record.snapshotId ?? null,
          record.createdAt,
          docOf(record),
        ],
      );
      if (r.rowCount === 0)
        throw new HangarError(
          'AssetVersionExists',
          `${record.kind} ${record.name}:${record.version} already exists in workspace '${record.workspace}'; versions are immutable: give a new version, or omit it to take the next.`,
          'version',
        );
    });
  }

  async update(record: AssetRecord): Promise<boolean> {
    const r = await this.db.query(
      'UPDATE assets SET archived = $1, doc = $2 WHERE kind = $3 AND workspace = $4 AND name = $5 AND version = $6',
      [record.archived, docOf(record), record.kind, record.workspace, record.name, record.version],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async delete(kind: AssetKind, workspace: string, name: string, version: string): Promise<boolean> {
    const r = await this.db.query(
      'DELETE FROM assets WHERE kind = $1 AND workspace = $2 AND name = $3 AND version = $4',
      [kind, workspace, name, version],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async snapshotIds(): Promise<string[]> {
    const rows = await this.db.rows<{ snapshot_id: string }>(
      'SELECT DISTINCT snapshot_id FROM assets WHERE snapshot_id IS NOT NULL ORDER BY snapshot_id',
    );
    return rows.map((r) => r.snapshot_id);
  }

  async addLineage(entries: LineageEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db.transaction(async () => {
      for (const e of entries)
        await this.db.query(
          `INSERT INTO asset_lineage (${lineageColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
          [e.workspace, e.job, e.direction, e.port, e.kind, e.name, e.version, e.at],
        );
    }, false);
  }

  lineageOfJob(workspace: string, job: string): Promise<LineageEntry[]> {
    return this.db.rows<LineageEntry>(
      `SELECT ${lineageColumns} FROM asset_lineage WHERE workspace = $1 AND job = $2 ORDER BY id`,
      [workspace, job],
    );
  }

  lineageOfAsset(
    workspace: string,
    kind: LineageEntry['kind'],
    name: string,
    version?: string,
  ): Promise<LineageEntry[]> {
    return this.db.rows<LineageEntry>(
      `SELECT ${lineageColumns} FROM asset_lineage WHERE workspace = $1 AND kind = $2 AND name = $3
         AND ($4::text IS NULL OR version = $4) ORDER BY id`,
      [workspace, kind, name, version ?? null],
    );
  }
}
