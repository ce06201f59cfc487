import type Database from 'better-sqlite3';
import type { ListView } from '../../domain/assets/asset-record.js';
import type { EnvironmentRecord } from '../../domain/environments/environment-record.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { EnvironmentRepository, Page, PageRequest } from '../store.js';
import { decodeToken, toPage } from './paging.js';
import { settle } from './settle.js';
import { statement } from './statements.js';

interface Row {
  seq: number;
  doc: string;
}

const parse = (r: Row): EnvironmentRecord => JSON.parse(r.doc) as EnvironmentRecord;

/** Environment versions as JSON documents; `seq` orders versions by creation. */
export class SqliteEnvironments implements EnvironmentRepository {
  constructor(private readonly db: Database.Database) {}

  get(workspace: string, name: string, version: string): Promise<EnvironmentRecord | undefined> {
    const row = statement(
      this.db,
      'SELECT seq, doc FROM environments WHERE workspace = ? AND name = ? AND version = ?',
    ).get(workspace, name, version) as Row | undefined;
    return Promise.resolve(row ? parse(row) : undefined);
  }

  latest(workspace: string, name: string): Promise<EnvironmentRecord | undefined> {
    const row = statement(
      this.db,
      'SELECT seq, doc FROM environments WHERE workspace = ? AND name = ? AND archived = 0 ORDER BY seq DESC LIMIT 1',
    ).get(workspace, name) as Row | undefined;
    return Promise.resolve(row ? parse(row) : undefined);
  }

  list(
    workspace: string,
    filter: { name?: string; view?: ListView },
    page: PageRequest,
  ): Promise<Page<EnvironmentRecord>> {
    const [lo, hi] = filter.view === 'ArchivedOnly' ? [1, 1] : filter.view === 'All' ? [0, 1] : [0, 0];
    const [after] = (decodeToken(page.skipToken) ?? []) as number[];
    const rows = statement(
      this.db,
      `SELECT seq, doc FROM environments WHERE workspace = ? AND (? IS NULL OR name = ?) AND archived BETWEEN ? AND ? AND (? IS NULL OR seq < ?) ORDER BY seq DESC LIMIT ?`,
    ).all(
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

  insert(record: EnvironmentRecord): Promise<void> {
    return settle(() => {
      const seq = (
        statement(this.db, 'SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM environments').get() as {
          next: number;
        }
      ).next;
      try {
        statement(
          this.db,
          'INSERT INTO environments (workspace, name, version, created_at, seq, doc, archived) VALUES (?, ?, ?, ?, ?, ?, ?)',
        ).run(
          record.workspace,
          record.name,
          record.version,
          record.createdAt,
          seq,
          JSON.stringify(record),
          record.archived ? 1 : 0,
        );
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new HangarError(
            'NameConflict',
            `Environment '${record.name}' version '${record.version}' already exists; versions are immutable, create a new version.`,
            'version',
          );
        }
        throw err;
      }
      return Promise.resolve();
    });
  }

  update(record: EnvironmentRecord): Promise<boolean> {
    return settle(
      () =>
        statement(
          this.db,
          'UPDATE environments SET doc = ?, archived = ? WHERE workspace = ? AND name = ? AND version = ?',
        ).run(JSON.stringify(record), record.archived ? 1 : 0, record.workspace, record.name, record.version)
          .changes > 0,
    );
  }
}
