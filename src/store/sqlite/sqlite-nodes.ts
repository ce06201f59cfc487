import type Database from 'better-sqlite3';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import type { NodeRepository } from '../store.js';
import { deepFreeze } from './frozen.js';
import { settle } from './settle.js';
import { statement } from './statements.js';

const parse = (r: { doc: string }): NodeRecord => JSON.parse(r.doc) as NodeRecord;

/** Nodes as JSON documents, indexed by compute and token hashes. */
export class SqliteNodes implements NodeRepository {
  /**
   * Parsed documents by id and version, for all(): every loop pass reads every node of a compute
   * (thousands at scale), and parsing them was a large part of each pass. Every write bumps the
   * version; a delete drops the entry, a rollback or another connection's commit all of them.
   */
  private readonly parsed = new Map<string, { version: number; record: NodeRecord }>();
  private dataVersion: number | undefined;

  constructor(private readonly db: Database.Database) {}

  /** Forgets every parsed document (a rolled-back transaction may have left some that were never committed). */
  forget(): void {
    this.parsed.clear();
  }

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
    const v = statement(this.db, 'PRAGMA data_version').pluck().get() as number;
    if (this.dataVersion !== v) this.forget();
    this.dataVersion = v;
    // Keys and versions first; a document is read and parsed only when its version is new.
    const keys = statement(
      this.db,
      'SELECT id, version FROM nodes WHERE (? IS NULL OR compute_id = ?) AND (? IS NULL OR workspace = ?) ORDER BY id',
    ).all(
      filter.computeId ?? null,
      filter.computeId ?? null,
      filter.workspace ?? null,
      filter.workspace ?? null,
    ) as { id: string; version: number }[];
    const docOf = statement(this.db, 'SELECT doc FROM nodes WHERE id = ? AND version = ?');
    const records: NodeRecord[] = [];
    for (const k of keys) {
      const hit = this.parsed.get(k.id);
      if (hit?.version === k.version) {
        records.push(hit.record);
        continue;
      }
      const row = docOf.get(k.id, k.version) as { doc: string } | undefined;
      if (!row) continue;
      const record = deepFreeze(parse(row));
      if (this.parsed.size >= 100_000) this.parsed.clear();
      this.parsed.set(k.id, { version: k.version, record });
      records.push(record);
    }
    return Promise.resolve(records);
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
    this.parsed.delete(id);
    return Promise.resolve(statement(this.db, 'DELETE FROM nodes WHERE id = ?').run(id).changes > 0);
  }
}
