import { HangarError } from '../../domain/errors/hangar-error.js';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import type { NodeRepository } from '../store.js';
import type { PgDb } from './pg-db.js';

const parse = (r: { doc: string }): NodeRecord => JSON.parse(r.doc) as NodeRecord;

/** Nodes as JSON documents, indexed by compute and token hashes. */
export class PgNodes implements NodeRepository {
  constructor(private readonly db: PgDb) {}

  private async oneBy(column: string, value: string): Promise<NodeRecord | undefined> {
    const row = await this.db.one<{ doc: string }>(`SELECT doc FROM nodes WHERE ${column} = $1`, [value]);
    return row ? parse(row) : undefined;
  }

  get(id: string): Promise<NodeRecord | undefined> {
    return this.oneBy('id', id);
  }

  bySessionTokenHash(hash: string): Promise<NodeRecord | undefined> {
    return this.oneBy('session_token_hash', hash);
  }

  byTokenHash(hash: string): Promise<NodeRecord | undefined> {
    return this.oneBy('token_hash', hash);
  }

  async all(filter: { computeId?: string; workspace?: string }): Promise<NodeRecord[]> {
    const rows = await this.db.rows<{ doc: string }>(
      'SELECT doc FROM nodes WHERE ($1::text IS NULL OR compute_id = $1) AND ($2::text IS NULL OR workspace = $2) ORDER BY id',
      [filter.computeId ?? null, filter.workspace ?? null],
    );
    return rows.map(parse);
  }

  async insert(record: NodeRecord): Promise<void> {
    const r = await this.db.query(
      `INSERT INTO nodes (id, workspace, compute_id, token_hash, session_token_hash, doc, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [
        record.id,
        record.workspace,
        record.computeId,
        record.tokenHash ?? null,
        record.sessionTokenHash ?? null,
        JSON.stringify(record),
        record.version,
      ],
    );
    if (r.rowCount === 0) throw new HangarError('NameConflict', `Node '${record.id}' already exists.`, 'id');
  }

  async update(record: NodeRecord): Promise<NodeRecord> {
    const written = { ...record, version: record.version + 1 };
    const r = await this.db.query(
      'UPDATE nodes SET token_hash = $1, session_token_hash = $2, doc = $3, version = version + 1 WHERE id = $4 AND version = $5',
      [
        record.tokenHash ?? null,
        record.sessionTokenHash ?? null,
        JSON.stringify(written),
        record.id,
        record.version,
      ],
    );
    if (r.rowCount === 0)
      throw new HangarError('Conflict', `Node '${record.id}' was changed concurrently.`, record.id);
    return written;
  }

  async delete(id: string): Promise<boolean> {
    return ((await this.db.query('DELETE FROM nodes WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }
}
