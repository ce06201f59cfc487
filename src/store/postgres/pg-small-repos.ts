import type { EventRecord, NewEvent } from '../../domain/events/event.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { WorkspaceRecord } from '../../domain/workspace/workspace.js';
import { decodeToken, toPage } from '../sqlite/paging.js';
import type { EventRepository, Page, PageRequest, SecretRepository, WorkspaceRepository } from '../store.js';
import type { PgDb } from './pg-db.js';

/** Workspaces as JSON documents keyed by name. */
export class PgWorkspaces implements WorkspaceRepository {
  constructor(private readonly db: PgDb) {}

  async get(name: string): Promise<WorkspaceRecord | undefined> {
    const row = await this.db.one<{ doc: string }>('SELECT doc FROM workspaces WHERE name = $1', [name]);
    return row ? (JSON.parse(row.doc) as WorkspaceRecord) : undefined;
  }

  async list(page: PageRequest, only?: readonly string[]): Promise<Page<WorkspaceRecord>> {
    const after = decodeToken(page.skipToken)?.[0];
    const rows = await this.db.rows<{ name: string; doc: string }>(
      `SELECT name, doc FROM workspaces WHERE name > $1 AND ($2::text[] IS NULL OR lower(name) = ANY($2::text[]))
         ORDER BY name LIMIT $3`,
      [typeof after === 'string' ? after : '', only ? [...only] : null, page.top + 1],
    );
    return toPage(
      rows,
      page,
      (r) => [r.name],
      (r) => JSON.parse(r.doc) as WorkspaceRecord,
    );
  }

  async insert(record: WorkspaceRecord): Promise<void> {
    const r = await this.db.query(
      'INSERT INTO workspaces (name, location, doc, version) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [record.name, record.location, JSON.stringify(record), record.version],
    );
    if (r.rowCount === 0)
      throw new HangarError(
        'NameConflict',
        `A workspace named '${record.name}' already exists.`,
        record.name,
      );
  }

  async update(record: WorkspaceRecord): Promise<WorkspaceRecord> {
    const written = { ...record, version: record.version + 1 };
    const r = await this.db.query(
      'UPDATE workspaces SET doc = $1, location = $2, version = version + 1 WHERE name = $3 AND version = $4',
      [JSON.stringify(written), record.location, record.name, record.version],
    );
    if (r.rowCount === 0)
      throw new HangarError(
        'Conflict',
        `Workspace '${record.name}' was changed by someone else; read it again and retry.`,
        record.name,
      );
    return written;
  }

  async delete(name: string): Promise<boolean> {
    return ((await this.db.query('DELETE FROM workspaces WHERE name = $1', [name])).rowCount ?? 0) > 0;
  }
}

/** Encrypted secrets by owner and key. */
export class PgSecrets implements SecretRepository {
  constructor(private readonly db: PgDb) {}

  async put(ownerId: string, key: string, ciphertext: string): Promise<void> {
    await this.db.query(
      'INSERT INTO secrets (owner_id, key, ciphertext) VALUES ($1, $2, $3) ON CONFLICT (owner_id, key) DO UPDATE SET ciphertext = excluded.ciphertext',
      [ownerId, key, ciphertext],
    );
  }

  async list(ownerId: string): Promise<Record<string, string>> {
    const rows = await this.db.rows<{ key: string; ciphertext: string }>(
      'SELECT key, ciphertext FROM secrets WHERE owner_id = $1',
      [ownerId],
    );
    return Object.fromEntries(rows.map((r) => [r.key, r.ciphertext]));
  }

  async deleteOwner(ownerId: string): Promise<void> {
    await this.db.query('DELETE FROM secrets WHERE owner_id = $1', [ownerId]);
  }
}

interface EventRow extends Omit<EventRecord, 'level' | 'id'> {
  id: string;
  level: string;
}

/** Append-only events, newest last. */
export class PgEvents implements EventRepository {
  constructor(private readonly db: PgDb) {}

  async append(event: NewEvent): Promise<EventRecord> {
    const row = await this.db.one<{ id: string }>(
      'INSERT INTO events (at, workspace, resource, reason, level, message) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
      [event.at, event.workspace, event.resource, event.reason, event.level, event.message],
    );
    return { ...event, id: Number(row?.id) };
  }

  async list(
    filter: { workspace?: string; resource?: string },
    page: PageRequest,
  ): Promise<Page<EventRecord>> {
    const after = Number(decodeToken(page.skipToken)?.[0] ?? 0);
    const rows = await this.db.rows<EventRow>(
      `SELECT id, at, workspace, resource, reason, level, message FROM events
         WHERE id > $1 AND ($2::text IS NULL OR workspace = $2) AND ($3::text IS NULL OR resource = $3)
         ORDER BY id LIMIT $4`,
      [after, filter.workspace ?? null, filter.resource ?? null, page.top + 1],
    );
    return toPage(
      rows,
      page,
      (r) => [Number(r.id)],
      (r) => ({ ...r, id: Number(r.id), level: r.level as EventRecord['level'] }),
    );
  }
}
