import type { Store } from '../store.js';
import { pgMigrations } from './migrations.js';
import { PgOnlineDeployments, PgOnlineEndpoints } from './pg-endpoints.js';
import { PgAccess, PgAudit } from './pg-access.js';
import { PgAssets } from './pg-assets.js';
import { PgComputes } from './pg-computes.js';
import { PgDb } from './pg-db.js';
import { PgEnvironments } from './pg-environments.js';
import { PgJobs } from './pg-jobs.js';
import { PgNodes } from './pg-nodes.js';
import { PgRunData } from './pg-run-data.js';
import { PgSamples } from './pg-samples.js';
import { PgEvents, PgSecrets, PgWorkspaces } from './pg-small-repos.js';

/** Held (session-scoped) while migrating, so replicas starting together migrate one at a time. */
const migrationLockKey = 0x48474d49; // 'HGMI'

/**
 * The PostgreSQL store: the same tables as SQLite (JSON documents plus the columns queries need),
 * one connection pool, versions checked by the database (`UPDATE … WHERE version = $n`).
 */
export class PostgresStore implements Store {
  readonly workspaces: PgWorkspaces;
  readonly computes: PgComputes;
  readonly secrets: PgSecrets;
  readonly events: PgEvents;
  readonly jobs: PgJobs;
  readonly nodes: PgNodes;
  readonly environments: PgEnvironments;
  readonly assets: PgAssets;
  readonly runData: PgRunData;
  readonly samples: PgSamples;
  readonly access: PgAccess;
  readonly audit: PgAudit;
  readonly onlineEndpoints: PgOnlineEndpoints;
  readonly onlineDeployments: PgOnlineDeployments;
  readonly db: PgDb;

  constructor(url: string, options: { poolSize?: number } = {}) {
    this.db = new PgDb(url, options.poolSize);
    this.workspaces = new PgWorkspaces(this.db);
    this.computes = new PgComputes(this.db);
    this.secrets = new PgSecrets(this.db);
    this.events = new PgEvents(this.db);
    this.jobs = new PgJobs(this.db);
    this.nodes = new PgNodes(this.db);
    this.environments = new PgEnvironments(this.db);
    this.assets = new PgAssets(this.db);
    this.runData = new PgRunData(this.db);
    this.samples = new PgSamples(this.db);
    this.access = new PgAccess(this.db);
    this.audit = new PgAudit(this.db);
    this.onlineEndpoints = new PgOnlineEndpoints(this.db);
    this.onlineDeployments = new PgOnlineDeployments(this.db);
  }

  transaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  /**
   * Applies migrations newer than the highest in schema_migrations, each in its own transaction,
   * under a session advisory lock: a replica that waited finds the work done and applies nothing.
   */
  async migrate(): Promise<number> {
    const client = await this.db.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [migrationLockKey]);
      try {
        await client.query(
          'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
        );
        const row = (
          await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations')
        ).rows[0];
        let current = row?.v ?? 0;
        for (const m of pgMigrations) {
          if (m.version <= current) continue;
          await client.query('BEGIN');
          try {
            await client.query(m.sql);
            await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
              m.version,
              m.name,
            ]);
            await client.query('COMMIT');
          } catch (err) {
            await client.query('ROLLBACK');
            throw new Error(
              `PostgreSQL migration ${m.version} (${m.name}) failed: ${(err as Error).message}`,
            );
          }
          current = m.version;
        }
        return current;
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [migrationLockKey]);
      }
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
