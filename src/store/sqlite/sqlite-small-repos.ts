import type Database from 'better-sqlite3';
import type { EventRecord, NewEvent } from '../../domain/events/event.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { WorkspaceRecord } from '../../domain/workspace/workspace.js';
import type { EventRepository, Page, PageRequest, SecretRepository, WorkspaceRepository } from '../store.js';
import { decodeToken, toPage } from './paging.js';
import { settle } from './settle.js';
import { statement } from './statements.js';

interface DocRow {
  doc: string;
  name: string;
}

/** Workspaces as JSON documents keyed by name. */
export class SqliteWorkspaces implements WorkspaceRepository {
  constructor(private readonly db: Database.Database) {}

  get(name: string): Promise<WorkspaceRecord | undefined> {
    const row = statement(this.db, 'SELECT doc FROM workspaces WHERE name = ?').get(name) as
      DocRow | undefined;
    return Promise.resolve(row ? (JSON.parse(row.doc) as WorkspaceRecord) : undefined);
  }

  list(page: PageRequest, only?: readonly string[]): Promise<Page<WorkspaceRecord>> {
    const after = decodeToken(page.skipToken)?.[0];
    const filter = only ? ` AND lower(name) IN (SELECT value FROM json_each(?))` : '';
    const rows = statement(
      this.db,
      `SELECT name, doc FROM workspaces WHERE name > ?${filter} ORDER BY name LIMIT ?`,
    ).all(
      typeof after === 'string' ? after : '',
      ...(only ? [JSON.stringify(only)] : []),
      page.top + 1,
    ) as DocRow[];
    return Promise.resolve(
      toPage(
        rows,
        page,
        (r) => [r.name],
        (r) => JSON.parse(r.doc) as WorkspaceRecord,
      ),
    );
  }

  insert(record: WorkspaceRecord): Promise<void> {
    return settle(() => {
      try {
        statement(this.db, 'INSERT INTO workspaces (name, location, doc, version) VALUES (?, ?, ?, ?)').run(
          record.name,
          record.location,
          JSON.stringify(record),
          record.version,
        );
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new HangarError(
            'NameConflict',
            `A workspace named '${record.name}' already exists.`,
            record.name,
          );
        }
        throw err;
      }
      return Promise.resolve();
    });
  }

  update(record: WorkspaceRecord): Promise<WorkspaceRecord> {
    return settle(() => {
      const written = { ...record, version: record.version + 1 };
      const result = statement(
        this.db,
        'UPDATE workspaces SET doc = ?, location = ?, version = ? WHERE name = ? AND version = ?',
      ).run(JSON.stringify(written), record.location, written.version, record.name, record.version);
      if (result.changes === 0) {
        throw new HangarError(
          'Conflict',
          `Workspace '${record.name}' was changed by someone else; read it again and retry.`,
          record.name,
        );
      }
      return written;
    });
  }

  delete(name: string): Promise<boolean> {
    return Promise.resolve(statement(this.db, 'DELETE FROM workspaces WHERE name = ?').run(name).changes > 0);
  }
}

/** Encrypted secrets by owner and key. */
export class SqliteSecrets implements SecretRepository {
  constructor(private readonly db: Database.Database) {}

  put(ownerId: string, key: string, ciphertext: string): Promise<void> {
    statement(
      this.db,
      'INSERT INTO secrets (owner_id, key, ciphertext) VALUES (?, ?, ?) ON CONFLICT (owner_id, key) DO UPDATE SET ciphertext = excluded.ciphertext',
    ).run(ownerId, key, ciphertext);
    return Promise.resolve();
  }

  list(ownerId: string): Promise<Record<string, string>> {
    const rows = statement(this.db, 'SELECT key, ciphertext FROM secrets WHERE owner_id = ?').all(
      ownerId,
    ) as { key: string; ciphertext: string }[];
    return Promise.resolve(Object.fromEntries(rows.map((r) => [r.key, r.ciphertext])));
  }

  deleteOwner(ownerId: string): Promise<void> {
    statement(this.db, 'DELETE FROM secrets WHERE owner_id = ?').run(ownerId);
    return Promise.resolve();
  }
}

interface EventRow extends Omit<EventRecord, 'level'> {
  level: string;
}

/** Append-only events, newest last. */
export class SqliteEvents implements EventRepository {
  constructor(private readonly db: Database.Database) {}

  append(event: NewEvent): Promise<EventRecord> {
    const r = statement(
      this.db,
      'INSERT INTO events (at, workspace, resource, reason, level, message) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(event.at, event.workspace, event.resource, event.reason, event.level, event.message);
    return Promise.resolve({ ...event, id: Number(r.lastInsertRowid) });
  }

  list(filter: { workspace?: string; resource?: string }, page: PageRequest): Promise<Page<EventRecord>> {
    const after = Number(decodeToken(page.skipToken)?.[0] ?? 0);
    const rows = statement(
      this.db,
      `SELECT id, at, workspace, resource, reason, level, message FROM events
         WHERE id > ? AND (? IS NULL OR workspace = ?) AND (? IS NULL OR resource = ?) ORDER BY id LIMIT ?`,
    ).all(
      after,
      filter.workspace ?? null,
      filter.workspace ?? null,
      filter.resource ?? null,
      filter.resource ?? null,
      page.top + 1,
    ) as EventRow[];
    return Promise.resolve(
      toPage(
        rows,
        page,
        (r) => [r.id],
        (r) => ({ ...r, level: r.level as EventRecord['level'] }),
      ),
    );
  }
}
