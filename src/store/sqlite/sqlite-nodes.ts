import type Database from 'better-sqlite3';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import type { NodeRepository } from '../store.js';
import { settle } from './settle.js';
import { statement } from './statements.js';

const parse = (r: { doc: string }): NodeRecord => JSON.parse(r.doc) as NodeRecord;

/** Nodes as JSON documents, indexed by compute and token hashes. */
export class SqliteNodes implements NodeRepository {
  constructor(private readonly db: Database.Database) {}

  private one(sql: string, arg: string): Promise<NodeRecord | undefined> {
    const row = statement(this.db, sql).get(arg) as { doc: string } | undefined;
    return Promise.resolve(row ? parse(row) : undefined);
  }

  get(id: string): Promise<NodeRecord | undefined> {
    return this.one('SELECT doc FROM nodes WHERE id = ?', id);
  }

  bySessionTokenHash(hash: string): Promise<NodeRecord | undefined> {
    return this.one('SELECT doc FROM nodes WHERE session_token_hash = ?', hash);
  }

  byTokenHash(hash: string): Promise<NodeRecord | undefined> {
    return this.one('SELECT doc FROM nodes WHERE token_hash = ?', hash);
  }

  all(filter: { computeId?: string; workspace?: string }): Promise<NodeRecord[]> {
    const rows = statement(
      this.db,
      'SELECT doc FROM nodes WHERE (? IS NULL OR compute_id = ?) AND (? IS NULL OR workspace = ?) ORDER BY id',
    ).all(
      filter.computeId ?? null,
      filter.computeId ?? null,
      filter.workspace ?? null,
      filter.workspace ?? null,
    ) as { doc: string }[];
    return Promise.resolve(rows.map(parse));
  }

  insert(record: NodeRecord): Promise<void> {
    return settle(() => {
      statement(
        this.db,
        'INSERT INTO nodes (id, workspace, compute_id, token_hash, session_token_hash, doc, version) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(
        record.id,
        record.workspace,
        record.computeId,
        record.tokenHash ?? null,
        record.sessionTokenHash ?? null,
        JSON.stringify(record),
        record.version,
      );
      return Promise.resolve();
    });
  }

  update(record: NodeRecord): Promise<NodeRecord> {
    return settle(() => {
      const written = { ...record, version: record.version + 1 };
      const r = statement(
        this.db,
        'UPDATE nodes SET token_hash = ?, session_token_hash = ?, doc = ?, version = ? WHERE id = ? AND version = ?',
      ).run(
        record.tokenHash ?? null,
        record.sessionTokenHash ?? null,
        JSON.stringify(written),
        written.version,
        record.id,
        record.version,
      );
      if (r.changes === 0)
        throw new HangarError('Conflict', `Node '${record.id}' was changed concurrently.`, record.id);
      return written;
    });
  }

  delete(id: string): Promise<boolean> {
    return Promise.resolve(statement(this.db, 'DELETE FROM nodes WHERE id = ?').run(id).changes > 0);
  }
}
