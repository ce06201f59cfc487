import type Database from 'better-sqlite3';
import type { AssetKind, AssetRecord, LineageEntry, ListView } from '../../domain/assets/asset-record.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { AssetFilter, AssetRepository, Page, PageRequest } from '../store.js';
import { decodeToken, toPage } from './paging.js';
import { settle } from './settle.js';
import { statement } from './statements.js';

interface Row {
  seq: number;
  kind: string;
  workspace: string;
  name: string;
  version: string;
  archived: number;
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
    archived: r.archived === 1,
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

/** archived = ? bounds for a view: ActiveOnly 0..0, ArchivedOnly 1..1, All 0..1. */
function archivedRange(view: ListView | undefined): [number, number] {
  if (view === 'ArchivedOnly') return [1, 1];
  if (view === 'All') return [0, 1];
  return [0, 0];
}

const columns = 'seq, kind, workspace, name, version, archived, snapshot_id, created_at, doc';
const where = 'kind = ? AND workspace = ? AND (? IS NULL OR name = ?) AND archived BETWEEN ? AND ?';

/** Versioned assets as rows of one table; `seq` orders versions by creation. */
export class SqliteAssets implements AssetRepository {
  constructor(private readonly db: Database.Database) {}

  get(kind: AssetKind, workspace: string, name: string, version: string): Promise<AssetRecord | undefined> {
    const row = statement(
      this.db,
      `SELECT ${columns} FROM assets WHERE kind = ? AND workspace = ? AND name = ? AND version = ?`,
    ).get(kind, workspace, name, version) as Row | undefined;
    return Promise.resolve(row ? parse(row) : undefined);
  }

  list(
    kind: AssetKind,
    workspace: string,
    filter: AssetFilter,
    page: PageRequest,
  ): Promise<Page<AssetRecord>> {
    const [after] = (decodeToken(page.skipToken) ?? []) as number[];
    const [lo, hi] = archivedRange(filter.view);
    const rows = statement(
      this.db,
      `SELECT ${columns} FROM assets WHERE ${where} AND (? IS NULL OR seq < ?) ORDER BY seq DESC LIMIT ?`,
    ).all(
      kind,
      workspace,
      filter.name ?? null,
      filter.name ?? null,
      lo,
      hi,
      after ?? null,
      after ?? null,
      page.top + 1,
    ) as Row[];
    return Promise.resolve(toPage(rows, page, (r) => [r.seq], parse));
  }

  all(kind: AssetKind, workspace: string, filter: AssetFilter): Promise<AssetRecord[]> {
    const [lo, hi] = archivedRange(filter.view);
    const rows = statement(this.db, `SELECT ${columns} FROM assets WHERE ${where} ORDER BY seq DESC`).all(
      kind,
      workspace,
      filter.name ?? null,
      filter.name ?? null,
      lo,
      hi,
    ) as Row[];
    return Promise.resolve(rows.map(parse));
  }

  insert(record: AssetRecord): Promise<void> {
    return settle(() => {
      const seq = (
        statement(this.db, 'SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM assets').get() as { next: number }
      ).next;
      try {
        statement(
          this.db,
          'INSERT INTO assets (kind, workspace, name, version, archived, snapshot_id, created_at, seq, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        ).run(
          record.kind,
          record.workspace,
          record.name,
          record.version,
          record.archived ? 1 : 0,
          record.snapshotId ?? null,
          record.createdAt,
          seq,
          docOf(record),
        );
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
          throw new HangarError(
            'AssetVersionExists',
            `${record.kind} ${record.name}:${record.version} already exists in workspace '${record.workspace}'; versions are immutable: give a new version, or omit it to take the next.`,
            'version',
          );
        throw err;
      }
    });
  }

  update(record: AssetRecord): Promise<boolean> {
    return settle(
      () =>
        statement(
          this.db,
          'UPDATE assets SET archived = ?, doc = ? WHERE kind = ? AND workspace = ? AND name = ? AND version = ?',
        ).run(
          record.archived ? 1 : 0,
          docOf(record),
          record.kind,
          record.workspace,
          record.name,
          record.version,
        ).changes > 0,
    );
  }

  delete(kind: AssetKind, workspace: string, name: string, version: string): Promise<boolean> {
    return settle(
      () =>
        statement(
          this.db,
          'DELETE FROM assets WHERE kind = ? AND workspace = ? AND name = ? AND version = ?',
        ).run(kind, workspace, name, version).changes > 0,
    );
  }

  snapshotIds(): Promise<string[]> {
    const rows = statement(
      this.db,
      'SELECT DISTINCT snapshot_id FROM assets WHERE snapshot_id IS NOT NULL ORDER BY snapshot_id',
    ).all() as { snapshot_id: string }[];
    return Promise.resolve(rows.map((r) => r.snapshot_id));
  }

  addLineage(entries: LineageEntry[]): Promise<void> {
    return settle(() => {
      const insert = statement(
        this.db,
        'INSERT INTO asset_lineage (workspace, job, direction, port, kind, name, version, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      );
      for (const e of entries)
        insert.run(e.workspace, e.job, e.direction, e.port, e.kind, e.name, e.version, e.at);
    });
  }

  lineageOfJob(workspace: string, job: string): Promise<LineageEntry[]> {
    return Promise.resolve(
      statement(
        this.db,
        'SELECT workspace, job, direction, port, kind, name, version, at FROM asset_lineage WHERE workspace = ? AND job = ? ORDER BY rowid',
      ).all(workspace, job) as LineageEntry[],
    );
  }

  lineageOfAsset(
    workspace: string,
    kind: LineageEntry['kind'],
    name: string,
    version?: string,
  ): Promise<LineageEntry[]> {
    return Promise.resolve(
      statement(
        this.db,
        'SELECT workspace, job, direction, port, kind, name, version, at FROM asset_lineage WHERE workspace = ? AND kind = ? AND name = ? AND (? IS NULL OR version = ?) ORDER BY rowid',
      ).all(workspace, kind, name, version ?? null, version ?? null) as LineageEntry[],
    );
  }
}
