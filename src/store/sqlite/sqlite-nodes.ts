import type Database from 'better-sqlite3';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import type { NodeRepository } from '../store.js';
import { deepFreeze } from './frozen.js';
import { settle } from './settle.js';
import { statement } from './statements.js';

const parse = (r: { doc: string }): NodeRecord => JSON.parse(r.doc) as NodeRecord;

/** Where `id` goes in ascending `ids` (SQLite's order for the ASCII ids nodes have). */
function sortedIndex(ids: readonly string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((ids[mid] ?? '') < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * One node as all() knows it: its keys, and its document parsed on first use. A class, so that every
 * entry has one object shape: all() reads 10,000 of them per loop pass, and entries made from rows
 * and from writes had shapes of their own (V8's slow path for each field read).
 */
class Known {
  record: NodeRecord | undefined = undefined;

  constructor(
    readonly version: number,
    readonly workspace: string,
    readonly computeId: string,
    public doc: string | undefined,
  ) {}
}

/** Nodes as JSON documents, indexed by compute and token hashes. */
export class SqliteNodes implements NodeRepository {
  /**
   * Every node's keys and version, with its document parsed once per version, for all(): every
   * loop pass reads every node of a compute (10,000 at scale), and reading their versions out of
   * SQLite (stored after the document) was a large part of each pass. This repository is the only
   * writer of the table on its connection and keeps it current with what it writes; a rollback or
   * another connection's commit (PRAGMA data_version) drops it, and the next all() reads it again.
   */
  private known: { byId: Map<string, Known>; ids: string[] } | undefined;
  private dataVersion: number | undefined;

  constructor(private readonly db: Database.Database) {}

  /** Forgets every parsed document (a rolled-back transaction may have left some that were never committed). */
  forget(): void {
    this.known = undefined;
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

  /** The nodes as this connection last read or wrote them, read again after forget(). */
  private current(): { byId: Map<string, Known>; ids: string[] } {
    const v = statement(this.db, 'PRAGMA data_version').pluck().get() as number;
    if (this.dataVersion !== v) this.forget();
    this.dataVersion = v;
    if (this.known) return this.known;
    const rows = statement(
      this.db,
      'SELECT id, workspace, compute_id AS computeId, version, doc FROM nodes ORDER BY id',
    ).all() as { id: string; version: number; workspace: string; computeId: string; doc: string }[];
    const byId = new Map<string, Known>();
    for (const r of rows) byId.set(r.id, new Known(r.version, r.workspace, r.computeId, r.doc));
    return (this.known = { byId, ids: rows.map((r) => r.id) });
  }

  /** Records a write this connection made (the document as written, parsed when next read). */
  private wrote(record: NodeRecord, doc: string): void {
    const known = this.known;
    if (!known) return;
    const entry = new Known(record.version, record.workspace, record.computeId, doc);
    if (!known.byId.has(record.id)) known.ids.splice(sortedIndex(known.ids, record.id), 0, record.id);
    known.byId.set(record.id, entry);
  }

  all(filter: { computeId?: string; workspace?: string }): Promise<NodeRecord[]> {
    const { byId, ids } = this.current();
    const records: NodeRecord[] = [];
    for (const id of ids) {
      const k = byId.get(id);
      if (!k) continue;
      if (filter.computeId !== undefined && k.computeId !== filter.computeId) continue;
      if (filter.workspace !== undefined && k.workspace !== filter.workspace) continue;
      if (!k.record) {
        k.record = deepFreeze(parse({ doc: k.doc ?? '{}' }));
        k.doc = undefined;
      }
      records.push(k.record);
    }
    return Promise.resolve(records);
  }

  insert(record: NodeRecord): Promise<void> {
    return settle(() => {
      const doc = JSON.stringify(record);
      statement(
        this.db,
        'INSERT INTO nodes (id, workspace, compute_id, token_hash, session_token_hash, doc, version) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(
        record.id,
        record.workspace,
        record.computeId,
        record.tokenHash ?? null,
        record.sessionTokenHash ?? null,
        doc,
        record.version,
      );
      this.wrote(record, doc);
      return Promise.resolve();
    });
  }

  update(record: NodeRecord): Promise<NodeRecord> {
    return settle(() => {
      const written = { ...record, version: record.version + 1 };
      const doc = JSON.stringify(written);
      const r = statement(
        this.db,
        'UPDATE nodes SET token_hash = ?, session_token_hash = ?, doc = ?, version = ? WHERE id = ? AND version = ?',
      ).run(
        record.tokenHash ?? null,
        record.sessionTokenHash ?? null,
        doc,
        written.version,
        record.id,
        record.version,
      );
      if (r.changes === 0)
        throw new HangarError('Conflict', `Node '${record.id}' was changed concurrently.`, record.id);
      this.wrote(written, doc);
      return written;
    });
  }

  delete(id: string): Promise<boolean> {
    const gone = statement(this.db, 'DELETE FROM nodes WHERE id = ?').run(id).changes > 0;
    const known = this.known;
    if (known?.byId.delete(id)) {
      const at = sortedIndex(known.ids, id);
      if (known.ids[at] === id) known.ids.splice(at, 1);
    }
    return Promise.resolve(gone);
  }
}
