import type Database from 'better-sqlite3';
import type { DeploymentRecord, EndpointRecord } from '../../domain/endpoints/endpoint-record.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { OnlineDeploymentRepository, OnlineEndpointRepository } from '../store.js';
import { settle } from './settle.js';
import { statement } from './statements.js';

const key = (s: string): string => s.toLowerCase();
const docs = <T>(rows: { doc: string }[]): T[] => rows.map((r) => JSON.parse(r.doc) as T);

/** Online endpoints as JSON documents; the name is unique across workspaces. */
export class SqliteOnlineEndpoints implements OnlineEndpointRepository {
  constructor(private readonly db: Database.Database) {}

  get(workspace: string, name: string): Promise<EndpointRecord | undefined> {
    const row = statement(
      this.db,
      'SELECT doc FROM online_endpoints WHERE workspace = ? AND name_key = ?',
    ).get(workspace, key(name)) as { doc: string } | undefined;
    return Promise.resolve(row ? (JSON.parse(row.doc) as EndpointRecord) : undefined);
  }

  byName(name: string): Promise<EndpointRecord | undefined> {
    const row = statement(this.db, 'SELECT doc FROM online_endpoints WHERE name_key = ?').get(key(name)) as
      { doc: string } | undefined;
    return Promise.resolve(row ? (JSON.parse(row.doc) as EndpointRecord) : undefined);
  }

  list(workspace?: string): Promise<EndpointRecord[]> {
    const rows = statement(
      this.db,
      'SELECT doc FROM online_endpoints WHERE (? IS NULL OR workspace = ?) ORDER BY name_key',
    ).all(workspace ?? null, workspace ?? null) as { doc: string }[];
    return Promise.resolve(docs<EndpointRecord>(rows));
  }

  insert(record: EndpointRecord): Promise<void> {
    return settle(() => {
      try {
        statement(
          this.db,
          'INSERT INTO online_endpoints (workspace, name, name_key, doc, version) VALUES (?, ?, ?, ?, ?)',
        ).run(record.workspace, record.name, key(record.name), JSON.stringify(record), record.version);
      } catch (err) {
        if (String((err as { code?: string }).code).startsWith('SQLITE_CONSTRAINT'))
          throw new HangarError(
            'NameConflict',
            `An online endpoint named '${record.name}' already exists (endpoint names are unique across workspaces).`,
            'name',
          );
        throw err;
      }
    });
  }

  update(record: EndpointRecord): Promise<EndpointRecord> {
    return settle(() => {
      const written = { ...record, version: record.version + 1 };
      const r = statement(
        this.db,
        'UPDATE online_endpoints SET doc = ?, version = ? WHERE workspace = ? AND name_key = ? AND version = ?',
      ).run(JSON.stringify(written), written.version, record.workspace, key(record.name), record.version);
      if (r.changes === 0)
        throw new HangarError(
          'Conflict',
          `Online endpoint '${record.name}' was changed by someone else; read it again and retry.`,
          record.name,
        );
      return written;
    });
  }

  delete(workspace: string, name: string): Promise<boolean> {
    return Promise.resolve(
      statement(this.db, 'DELETE FROM online_endpoints WHERE workspace = ? AND name_key = ?').run(
        workspace,
        key(name),
      ).changes > 0,
    );
  }
}

/** Online deployments as JSON documents keyed (workspace, endpoint, name). */
export class SqliteOnlineDeployments implements OnlineDeploymentRepository {
  constructor(private readonly db: Database.Database) {}

  get(workspace: string, endpoint: string, name: string): Promise<DeploymentRecord | undefined> {
    const row = statement(
      this.db,
      'SELECT doc FROM online_deployments WHERE workspace = ? AND endpoint_key = ? AND name_key = ?',
    ).get(workspace, key(endpoint), key(name)) as { doc: string } | undefined;
    return Promise.resolve(row ? (JSON.parse(row.doc) as DeploymentRecord) : undefined);
  }

  list(filter: { workspace?: string; endpoint?: string }): Promise<DeploymentRecord[]> {
    const ws = filter.workspace ?? null;
    const ep = filter.endpoint !== undefined ? key(filter.endpoint) : null;
    const rows = statement(
      this.db,
      `SELECT doc FROM online_deployments WHERE (? IS NULL OR workspace = ?) AND (? IS NULL OR endpoint_key = ?)
         ORDER BY workspace, endpoint_key, name_key`,
    ).all(ws, ws, ep, ep) as { doc: string }[];
    return Promise.resolve(docs<DeploymentRecord>(rows));
  }

  insert(record: DeploymentRecord): Promise<void> {
    return settle(() => {
      try {
        statement(
          this.db,
          'INSERT INTO online_deployments (workspace, endpoint_key, name_key, doc, version) VALUES (?, ?, ?, ?, ?)',
        ).run(
          record.workspace,
          key(record.endpoint),
          key(record.name),
          JSON.stringify(record),
          record.version,
        );
      } catch (err) {
        if (String((err as { code?: string }).code).startsWith('SQLITE_CONSTRAINT'))
          throw new HangarError(
            'NameConflict',
            `Endpoint '${record.endpoint}' already has a deployment named '${record.name}'.`,
            'name',
          );
        throw err;
      }
    });
  }

  update(record: DeploymentRecord): Promise<DeploymentRecord> {
    return settle(() => {
      const written = { ...record, version: record.version + 1 };
      const r = statement(
        this.db,
        `UPDATE online_deployments SET doc = ?, version = ?
           WHERE workspace = ? AND endpoint_key = ? AND name_key = ? AND version = ?`,
      ).run(
        JSON.stringify(written),
        written.version,
        record.workspace,
        key(record.endpoint),
        key(record.name),
        record.version,
      );
      if (r.changes === 0)
        throw new HangarError(
          'Conflict',
          `Online deployment '${record.endpoint}/${record.name}' was changed by someone else; read it again and retry.`,
          record.name,
        );
      return written;
    });
  }

  delete(workspace: string, endpoint: string, name: string): Promise<boolean> {
    return Promise.resolve(
      statement(
        this.db,
        'DELETE FROM online_deployments WHERE workspace = ? AND endpoint_key = ? AND name_key = ?',
      ).run(workspace, key(endpoint), key(name)).changes > 0,
    );
  }
}
