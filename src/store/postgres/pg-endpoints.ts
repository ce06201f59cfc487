import type { DeploymentRecord, EndpointRecord } from '../../domain/endpoints/endpoint-record.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { OnlineDeploymentRepository, OnlineEndpointRepository } from '../store.js';
import type { PgDb } from './pg-db.js';

const key = (s: string): string => s.toLowerCase();

/** Online endpoints as JSON documents; the name is unique across workspaces. */
export class PgOnlineEndpoints implements OnlineEndpointRepository {
  constructor(private readonly db: PgDb) {}

  async get(workspace: string, name: string): Promise<EndpointRecord | undefined> {
    const row = await this.db.one<{ doc: string }>(
      'SELECT doc FROM online_endpoints WHERE workspace = $1 AND name_key = $2',
      [workspace, key(name)],
    );
    return row ? (JSON.parse(row.doc) as EndpointRecord) : undefined;
  }

  async byName(name: string): Promise<EndpointRecord | undefined> {
    const row = await this.db.one<{ doc: string }>('SELECT doc FROM online_endpoints WHERE name_key = $1', [
      key(name),
    ]);
    return row ? (JSON.parse(row.doc) as EndpointRecord) : undefined;
  }

  async list(workspace?: string): Promise<EndpointRecord[]> {
    const rows = await this.db.rows<{ doc: string }>(
      'SELECT doc FROM online_endpoints WHERE ($1::text IS NULL OR workspace = $1) ORDER BY name_key',
      [workspace ?? null],
    );
    return rows.map((r) => JSON.parse(r.doc) as EndpointRecord);
  }

  async insert(record: EndpointRecord): Promise<void> {
    const r = await this.db.query(
      'INSERT INTO online_endpoints (workspace, name, name_key, doc, version) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
      [record.workspace, record.name, key(record.name), JSON.stringify(record), record.version],
    );
    if (r.rowCount === 0)
      throw new HangarError(
        'NameConflict',
        `An online endpoint named '${record.name}' already exists (endpoint names are unique across workspaces).`,
        'name',
      );
  }

  async update(record: EndpointRecord): Promise<EndpointRecord> {
    const written = { ...record, version: record.version + 1 };
    const r = await this.db.query(
      'UPDATE online_endpoints SET doc = $1, version = version + 1 WHERE workspace = $2 AND name_key = $3 AND version = $4',
      [JSON.stringify(written), record.workspace, key(record.name), record.version],
    );
    if (r.rowCount === 0)
      throw new HangarError(
        'Conflict',
        `Online endpoint '${record.name}' was changed by someone else; read it again and retry.`,
        record.name,
      );
    return written;
  }

  async delete(workspace: string, name: string): Promise<boolean> {
    const r = await this.db.query('DELETE FROM online_endpoints WHERE workspace = $1 AND name_key = $2', [
      workspace,
      key(name),
    ]);
    return (r.rowCount ?? 0) > 0;
  }
}

/** Online deployments as JSON documents keyed (workspace, endpoint, name). */
export class PgOnlineDeployments implements OnlineDeploymentRepository {
  constructor(private readonly db: PgDb) {}

  async get(workspace: string, endpoint: string, name: string): Promise<DeploymentRecord | undefined> {
    const row = await this.db.one<{ doc: string }>(
      'SELECT doc FROM online_deployments WHERE workspace = $1 AND endpoint_key = $2 AND name_key = $3',
      [workspace, key(endpoint), key(name)],
    );
    return row ? (JSON.parse(row.doc) as DeploymentRecord) : undefined;
  }

  async list(filter: { workspace?: string; endpoint?: string }): Promise<DeploymentRecord[]> {
    const rows = await this.db.rows<{ doc: string }>(
      `SELECT doc FROM online_deployments WHERE ($1::text IS NULL OR workspace = $1) AND ($2::text IS NULL OR endpoint_key = $2)
         ORDER BY workspace, endpoint_key, name_key`,
      [filter.workspace ?? null, filter.endpoint !== undefined ? key(filter.endpoint) : null],
    );
    return rows.map((r) => JSON.parse(r.doc) as DeploymentRecord);
  }

  async insert(record: DeploymentRecord): Promise<void> {
    const r = await this.db.query(
      'INSERT INTO online_deployments (workspace, endpoint_key, name_key, doc, version) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
      [record.workspace, key(record.endpoint), key(record.name), JSON.stringify(record), record.version],
    );
    if (r.rowCount === 0)
      throw new HangarError(
        'NameConflict',
        `Endpoint '${record.endpoint}' already has a deployment named '${record.name}'.`,
        'name',
      );
  }

  async update(record: DeploymentRecord): Promise<DeploymentRecord> {
    const written = { ...record, version: record.version + 1 };
    const r = await this.db.query(
      `UPDATE online_deployments SET doc = $1, version = version + 1
         WHERE workspace = $2 AND endpoint_key = $3 AND name_key = $4 AND version = $5`,
      [JSON.stringify(written), record.workspace, key(record.endpoint), key(record.name), record.version],
    );
    if (r.rowCount === 0)
      throw new HangarError(
        'Conflict',
        `Online deployment '${record.endpoint}/${record.name}' was changed by someone else; read it again and retry.`,
        record.name,
      );
    return written;
  }

  async delete(workspace: string, endpoint: string, name: string): Promise<boolean> {
    const r = await this.db.query(
      'DELETE FROM online_deployments WHERE workspace = $1 AND endpoint_key = $2 AND name_key = $3',
      [workspace, key(endpoint), key(name)],
    );
    return (r.rowCount ?? 0) > 0;
  }
}
