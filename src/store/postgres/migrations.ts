/**
 * PostgreSQL schema migrations, numbered on their own (the SQLite ones are SQLite's). Documents
 * are JSON text, as in SQLite, so a record reads back exactly as written; key columns use the "C"
 * collation so ordering (and paging) is byte order whatever the database's locale, as in SQLite.
 * Append new versions; never edit an applied one.
 */
export const pgMigrations: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'the schema of SQLite migrations 1-6',
    sql: `
      CREATE TABLE workspaces (
        name TEXT COLLATE "C" PRIMARY KEY,
        location TEXT NOT NULL,
        doc TEXT NOT NULL,
        version INTEGER NOT NULL
      );
      CREATE TABLE computes (
        id TEXT COLLATE "C" PRIMARY KEY,
        workspace TEXT COLLATE "C" NOT NULL,
        name TEXT COLLATE "C" NOT NULL,
        name_key TEXT COLLATE "C" NOT NULL,
        location TEXT COLLATE "C" NOT NULL,
        compute_type TEXT NOT NULL,
        provisioning_state TEXT NOT NULL,
        doc TEXT NOT NULL,
        version INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX computes_location_name ON computes (location, name_key);
      CREATE INDEX computes_workspace ON computes (workspace, name);
      CREATE TABLE secrets (
        owner_id TEXT COLLATE "C" NOT NULL,
        key TEXT COLLATE "C" NOT NULL,
        ciphertext TEXT NOT NULL,
        PRIMARY KEY (owner_id, key)
      );
      CREATE TABLE events (
        id BIGSERIAL PRIMARY KEY,
        at TEXT NOT NULL,
        workspace TEXT COLLATE "C" NOT NULL,
        resource TEXT COLLATE "C" NOT NULL,
        reason TEXT NOT NULL,
        level TEXT NOT NULL,
        message TEXT NOT NULL
      );
      CREATE INDEX events_resource ON events (workspace, resource, id);
      CREATE TABLE jobs (
        workspace TEXT COLLATE "C" NOT NULL,
        name TEXT COLLATE "C" NOT NULL,
        compute_name TEXT COLLATE "C" NOT NULL,
        experiment_name TEXT COLLATE "C" NOT NULL,
        status TEXT NOT NULL,
        node_id TEXT COLLATE "C",
        created_at TEXT COLLATE "C" NOT NULL,
        gang_parent TEXT COLLATE "C",
        doc TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (workspace, name)
      );
      CREATE INDEX jobs_status ON jobs (status);
      CREATE INDEX jobs_created ON jobs (workspace, created_at, name);
      CREATE INDEX jobs_node ON jobs (node_id);
      CREATE TABLE nodes (
        id TEXT COLLATE "C" PRIMARY KEY,
        workspace TEXT COLLATE "C" NOT NULL,
        compute_id TEXT COLLATE "C" NOT NULL,
        token_hash TEXT,
        session_token_hash TEXT,
        doc TEXT NOT NULL,
        version INTEGER NOT NULL
      );
      CREATE INDEX nodes_compute ON nodes (compute_id);
      CREATE INDEX nodes_token ON nodes (token_hash);
      CREATE INDEX nodes_session ON nodes (session_token_hash);
      CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
      CREATE TABLE environments (
        workspace TEXT COLLATE "C" NOT NULL,
        name TEXT COLLATE "C" NOT NULL,
        version TEXT COLLATE "C" NOT NULL,
        created_at TEXT NOT NULL,
        seq BIGINT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (workspace, name, version)
      );
      CREATE INDEX environments_latest ON environments (workspace, name, seq);
      CREATE TABLE metrics (
        workspace TEXT COLLATE "C" NOT NULL,
        job_name TEXT COLLATE "C" NOT NULL,
        seq BIGINT NOT NULL,
        key TEXT COLLATE "C" NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        timestamp BIGINT NOT NULL,
        step BIGINT NOT NULL,
        PRIMARY KEY (workspace, job_name, seq)
      );
      CREATE INDEX metrics_key ON metrics (workspace, job_name, key, seq);
      CREATE TABLE run_values (
        workspace TEXT COLLATE "C" NOT NULL,
        job_name TEXT COLLATE "C" NOT NULL,
        kind TEXT NOT NULL,
        key TEXT COLLATE "C" NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (workspace, job_name, kind, key)
      );
      CREATE TABLE users (id TEXT PRIMARY KEY, name_key TEXT COLLATE "C" NOT NULL UNIQUE, doc TEXT NOT NULL);
      CREATE TABLE tokens (id TEXT COLLATE "C" PRIMARY KEY, user_id TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
      CREATE INDEX tokens_user ON tokens (user_id);
      CREATE TABLE roles (name_key TEXT COLLATE "C" PRIMARY KEY, doc TEXT NOT NULL);
      CREATE TABLE role_assignments (id TEXT COLLATE "C" PRIMARY KEY, principal_id TEXT NOT NULL, scope TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE INDEX role_assignments_principal ON role_assignments (principal_id);
      CREATE TABLE audit_log (seq BIGSERIAL PRIMARY KEY, doc TEXT NOT NULL);
    `,
  },
  {
    version: 2,
    name: 'versioned assets, lineage; environment archive (SQLite migration 7)',
    sql: `
      CREATE TABLE assets (
        kind TEXT COLLATE "C" NOT NULL,
        workspace TEXT COLLATE "C" NOT NULL,
        name TEXT COLLATE "C" NOT NULL,
        version TEXT COLLATE "C" NOT NULL,
        archived BOOLEAN NOT NULL,
        snapshot_id TEXT COLLATE "C",
        created_at TEXT NOT NULL,
        seq BIGINT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (kind, workspace, name, version)
      );
      CREATE INDEX assets_latest ON assets (kind, workspace, name, seq);
      CREATE INDEX assets_snapshot ON assets (snapshot_id);
      CREATE TABLE asset_lineage (
        id BIGSERIAL UNIQUE,
        workspace TEXT COLLATE "C" NOT NULL,
        job TEXT COLLATE "C" NOT NULL,
        direction TEXT NOT NULL,
        port TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT COLLATE "C" NOT NULL,
        version TEXT COLLATE "C" NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (workspace, job, direction, port, kind, name, version)
      );
      CREATE INDEX asset_lineage_asset ON asset_lineage (workspace, kind, name, version);
      ALTER TABLE environments ADD COLUMN archived BOOLEAN NOT NULL DEFAULT FALSE;
    `,
  },
  {
    version: 3,
    name: 'sampled utilisation of nodes and jobs (SQLite migration 8)',
    sql: `
      CREATE TABLE samples (
        scope TEXT COLLATE "C" NOT NULL,
        key TEXT COLLATE "C" NOT NULL,
        t BIGINT NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        resolution_ms BIGINT NOT NULL DEFAULT 0
      );
      CREATE INDEX samples_scope ON samples (scope, key, t);
      CREATE INDEX samples_t ON samples (t);
    `,
  },
  {
    version: 9,
    name: 'online endpoints and deployments (SQLite migration 9)',
    sql: `
      CREATE TABLE online_endpoints (
        workspace TEXT COLLATE "C" NOT NULL,
        name TEXT COLLATE "C" NOT NULL,
        name_key TEXT COLLATE "C" NOT NULL PRIMARY KEY,
        doc TEXT NOT NULL,
        version INTEGER NOT NULL
      );
      CREATE INDEX online_endpoints_workspace ON online_endpoints (workspace, name_key);
      CREATE TABLE online_deployments (
        workspace TEXT COLLATE "C" NOT NULL,
        endpoint_key TEXT COLLATE "C" NOT NULL,
        name_key TEXT COLLATE "C" NOT NULL,
        doc TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (workspace, endpoint_key, name_key)
      );
    `,
  },
  {
    version: 10,
    name: 'active jobs by status and computes by location, covered (SQLite migration 10)',
    // Every loop pass asks for the active jobs in submission order (status IN (...) ORDER BY
    // created_at, name) and reads only these columns first: the index answers it without the
    // table. It replaces the index on status alone, of which it is an extension. Every compute
    // create reads its location's computes (the quota check) in list order: answered in order
    // from the second index, without a sort or the table.
    sql: `
      CREATE INDEX jobs_status_created ON jobs (status, created_at, name, workspace);
      DROP INDEX jobs_status;
      CREATE INDEX computes_location_listed ON computes (location, workspace, name, id);
    `,
  },
];
