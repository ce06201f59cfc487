/**
 * Versioned schema migrations. Plain, portable SQL (TEXT/INTEGER, JSON kept as TEXT) so the
 * same tables fit PostgreSQL; append new versions, never edit an applied one.
 */
export const migrations: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'workspaces, computes, secrets, events',
    sql: `
      CREATE TABLE workspaces (
        name TEXT PRIMARY KEY,
        location TEXT NOT NULL,
        doc TEXT NOT NULL,
        version INTEGER NOT NULL
      );
      CREATE TABLE computes (
        id TEXT PRIMARY KEY,
        workspace TEXT NOT NULL,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        location TEXT NOT NULL,
        compute_type TEXT NOT NULL,
        provisioning_state TEXT NOT NULL,
        doc TEXT NOT NULL,
        version INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX computes_location_name ON computes (location, name_key);
      CREATE INDEX computes_workspace ON computes (workspace, name);
      CREATE TABLE secrets (
        owner_id TEXT NOT NULL,
        key TEXT NOT NULL,
        ciphertext TEXT NOT NULL,
        PRIMARY KEY (owner_id, key)
      );
      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        workspace TEXT NOT NULL,
        resource TEXT NOT NULL,
        reason TEXT NOT NULL,
        level TEXT NOT NULL,
        message TEXT NOT NULL
      );
      CREATE INDEX events_resource ON events (workspace, resource, id);
    `,
  },
  {
    version: 2,
    name: 'jobs and nodes',
    sql: `
      CREATE TABLE jobs (
        workspace TEXT NOT NULL,
        name TEXT NOT NULL,
        compute_name TEXT NOT NULL,
        experiment_name TEXT NOT NULL,
        status TEXT NOT NULL,
        node_id TEXT,
        created_at TEXT NOT NULL,
        doc TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (workspace, name)
      );
      CREATE INDEX jobs_status ON jobs (status);
      CREATE INDEX jobs_created ON jobs (workspace, created_at, name);
      CREATE TABLE nodes (
        id TEXT PRIMARY KEY,
        workspace TEXT NOT NULL,
        compute_id TEXT NOT NULL,
        token_hash TEXT,
        session_token_hash TEXT,
        doc TEXT NOT NULL,
        version INTEGER NOT NULL
      );
      CREATE INDEX nodes_compute ON nodes (compute_id);
      CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    `,
  },
  {
    version: 3,
    name: 'environments and run data',
    sql: `
      CREATE TABLE environments (
        workspace TEXT NOT NULL,
        name TEXT NOT NULL,
        version TEXT NOT NULL,
        created_at TEXT NOT NULL,
        seq INTEGER NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (workspace, name, version)
      );
      CREATE INDEX environments_latest ON environments (workspace, name, seq);
      CREATE TABLE metrics (
        workspace TEXT NOT NULL,
        job_name TEXT NOT NULL,
        seq INTEGER NOT NULL,
        key TEXT NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        timestamp BIGINT NOT NULL,
        step BIGINT NOT NULL,
        PRIMARY KEY (workspace, job_name, seq)
      );
      CREATE INDEX metrics_key ON metrics (workspace, job_name, key, seq);
      CREATE TABLE run_values (
        workspace TEXT NOT NULL,
        job_name TEXT NOT NULL,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (workspace, job_name, kind, key)
      );
    `,
  },
  {
    version: 4,
    name: 'jobs by node',
    // Heartbeats and leases look up a node's jobs; without this they scan every job ever run.
    sql: `
      CREATE INDEX jobs_node ON jobs (node_id);
    `,
  },
  {
    version: 5,
    name: 'ranks of multi-node jobs',
    // Ranks are jobs of their own for agents and loops, hidden from job lists.
    sql: `
      ALTER TABLE jobs ADD COLUMN gang_parent TEXT;
    `,
  },
  {
    version: 6,
    name: 'users, tokens, roles, assignments, audit',
    sql: `
      CREATE TABLE users (id TEXT PRIMARY KEY, name_key TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
      CREATE TABLE tokens (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
      CREATE INDEX tokens_user ON tokens (user_id);
      CREATE TABLE roles (name_key TEXT PRIMARY KEY, doc TEXT NOT NULL);
      CREATE TABLE role_assignments (id TEXT PRIMARY KEY, principal_id TEXT NOT NULL, scope TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE INDEX role_assignments_principal ON role_assignments (principal_id);
      CREATE TABLE audit_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, doc TEXT NOT NULL);
    `,
  },
  {
    version: 7,
    name: 'versioned assets (data, models, components, datastores), lineage; environment labels and archive',
    // One generic table for every versioned asset kind: the columns filters need, the rest in doc.
    sql: `
      CREATE TABLE assets (
        kind TEXT NOT NULL,
        workspace TEXT NOT NULL,
        name TEXT NOT NULL,
        version TEXT NOT NULL,
        archived INTEGER NOT NULL,
        snapshot_id TEXT,
        created_at TEXT NOT NULL,
        seq INTEGER NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (kind, workspace, name, version)
      );
      CREATE INDEX assets_latest ON assets (kind, workspace, name, seq);
      CREATE INDEX assets_snapshot ON assets (snapshot_id);
      CREATE TABLE asset_lineage (
        workspace TEXT NOT NULL,
        job TEXT NOT NULL,
        direction TEXT NOT NULL,
        port TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        version TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (workspace, job, direction, port, kind, name, version)
      );
      CREATE INDEX asset_lineage_asset ON asset_lineage (workspace, kind, name, version);
      ALTER TABLE environments ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 8,
    name: 'sampled utilisation of nodes and jobs',
    // Keyed for the one read (a scope's series since a time) and the age sweeps (by time).
    sql: `
      CREATE TABLE samples (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        t INTEGER NOT NULL,
        value REAL NOT NULL,
        resolution_ms INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX samples_scope ON samples (scope, key, t);
      CREATE INDEX samples_t ON samples (t);
    `,
  },
  {
    version: 9,
    name: 'online endpoints and deployments',
    // Endpoint names are unique across workspaces: the scoring URL names the endpoint alone.
    sql: `
      CREATE TABLE online_endpoints (
        workspace TEXT NOT NULL,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL PRIMARY KEY,
        doc TEXT NOT NULL,
        version INTEGER NOT NULL
      );
      CREATE INDEX online_endpoints_workspace ON online_endpoints (workspace, name_key);
      CREATE TABLE online_deployments (
        workspace TEXT NOT NULL,
        endpoint_key TEXT NOT NULL,
        name_key TEXT NOT NULL,
        doc TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (workspace, endpoint_key, name_key)
      );
    `,
  },
  {
    version: 10,
    name: 'active jobs by status and computes by location, covered',
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
  {
    version: 11,
    name: 'nodes by registration and session token hash',
    // Every agent call finds its node by session token hash, every registration by its one-time
    // token hash: without these each was a scan of every node (10,000 at scale). PostgreSQL has had
    // both since its first migration. Node tokens are mostly spent (null): a partial index.
    sql: `
      CREATE INDEX nodes_token ON nodes (token_hash) WHERE token_hash IS NOT NULL;
      CREATE INDEX nodes_session ON nodes (session_token_hash);
    `,
  },
];
