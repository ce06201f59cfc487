import Database from 'better-sqlite3';
import { AsyncLocalStorage } from 'node:async_hooks';
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import type { Store } from '../store.js';
import { migrations } from './migrations.js';
import { SqliteOnlineDeployments, SqliteOnlineEndpoints } from './sqlite-endpoints.js';
import { SqliteSamples } from './sqlite-samples.js';
import { SqliteAccess, SqliteAudit } from './sqlite-access.js';
import { SqliteAssets } from './sqlite-assets.js';
import { SqliteComputes } from './sqlite-computes.js';
import { SqliteEnvironments } from './sqlite-environments.js';
import { SqliteJobs } from './sqlite-jobs.js';
import { SqliteNodes } from './sqlite-nodes.js';
import { SqliteRunData } from './sqlite-run-data.js';
import { SqliteEvents, SqliteSecrets, SqliteWorkspaces } from './sqlite-small-repos.js';
import { WalCheckpointer } from './wal-checkpointer.js';

/** How often the worker checkpoints the WAL. */
const checkpointIntervalMs = 50;
/** WAL pages (4 KB) past which this connection checkpoints itself, should the worker fall behind. */
const safetyCheckpointPages = 4000;

/** The SQLite store: one file in WAL mode, migrations applied in order. */
export class SqliteStore implements Store {
  readonly workspaces: SqliteWorkspaces;
  readonly computes: SqliteComputes;
  readonly secrets: SqliteSecrets;
  readonly events: SqliteEvents;
  readonly jobs: SqliteJobs;
  readonly nodes: SqliteNodes;
  readonly environments: SqliteEnvironments;
  readonly assets: SqliteAssets;
  readonly runData: SqliteRunData;
  readonly samples: SqliteSamples;
  readonly access: SqliteAccess;
  readonly audit: SqliteAudit;
  readonly onlineEndpoints: SqliteOnlineEndpoints;
  readonly onlineDeployments: SqliteOnlineDeployments;
  private readonly db: Database.Database;
  /** Set while a transaction runs; `waited` when it awaited something other than the store. */
  private tx: { waited: boolean } | undefined;
  /** Which transaction the running code is inside of (nested calls join it; others wait). */
  private readonly txOwner = new AsyncLocalStorage<{ waited: boolean }>();
  /** Settles when the open transaction ends. */
  private txEnded: Promise<void> = Promise.resolve();
  /** Checkpoints the WAL off the event loop (on-disk databases). */
  readonly checkpointer: WalCheckpointer | undefined;

  constructor(path: string) {
    const onDisk = path !== ':memory:' && path !== '' && !path.startsWith('file:');
    // Created 0600: SQLite gives its -wal and -shm files the database file's mode.
    if (onDisk) closeSync(openSync(path, 'a', 0o600));
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // Files made before by an older version (or with a looser umask) are tightened too.
    if (onDisk)
      for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
    // NORMAL is durable against process crashes (kill -9) in WAL mode; FULL only adds power-loss safety.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    if (onDisk) {
      // A worker checkpoints the WAL; this connection does only if the WAL grows past 16 MB anyway
      // (under steady writes the worker's checkpoints never finish the whole WAL at once, and SQLite
      // starts it over only then; a checkpoint after the worker's copies little).
      this.db.pragma(`wal_autocheckpoint = ${safetyCheckpointPages}`);
      this.checkpointer = new WalCheckpointer(path, checkpointIntervalMs);
    }
    this.workspaces = new SqliteWorkspaces(this.db);
    this.access = new SqliteAccess(this.db);
    this.audit = new SqliteAudit(this.db);
    this.onlineEndpoints = new SqliteOnlineEndpoints(this.db);
    this.onlineDeployments = new SqliteOnlineDeployments(this.db);
    this.computes = new SqliteComputes(this.db);
    this.secrets = new SqliteSecrets(this.db);
    this.events = new SqliteEvents(this.db);
    this.jobs = new SqliteJobs(this.db);
    this.nodes = new SqliteNodes(this.db);
    this.environments = new SqliteEnvironments(this.db);
    this.assets = new SqliteAssets(this.db);
    this.runData = new SqliteRunData(this.db);
    this.samples = new SqliteSamples(this.db);
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.tx && this.txOwner.getStore() === this.tx) return fn();
    // Another request's transaction is open on this connection (their microtasks interleave): joining
    // it would let its rollback undo this one's writes after they were answered. Wait for its end.
    while (this.tx) await this.txEnded;
    const tx = { waited: false };
    this.db.exec('BEGIN IMMEDIATE');
    this.tx = tx;
    let end = (): void => undefined;
    this.txEnded = new Promise((resolve) => (end = resolve));
    return this.txOwner.run(tx, () => this.runTransaction(tx, fn, end));
  }

  private async runTransaction<T>(
    tx: { waited: boolean },
    fn: () => Promise<T>,
    end: () => void,
  ): Promise<T> {
    // Store calls are synchronous underneath, so a transaction made only of them ends before the
    // event loop turns; if the loop turns first, other requests could have written into it.
    const guard = setImmediate(() => (tx.waited = true));
    try {
      const result = await fn();
      if (tx.waited)
        throw new Error('a store transaction awaited something other than the store; it was rolled back');
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      // Documents read inside the transaction may be of writes that were just undone.
      this.jobs.forget();
      this.computes.forget();
      this.nodes.forget();
      this.access.forget();
      throw err;
    } finally {
      clearImmediate(guard);
      this.tx = undefined;
      end();
    }
  }

  /** Applies migrations newer than the stored user_version, each in its own transaction. */
  migrate(): Promise<number> {
    let current = Number(this.db.pragma('user_version', { simple: true }));
    for (const m of migrations) {
      if (m.version <= current) continue;
      this.db.transaction(() => {
        this.db.exec(m.sql);
        this.db.pragma(`user_version = ${m.version}`);
      })();
      current = m.version;
    }
    return Promise.resolve(current);
  }

  async close(): Promise<void> {
    await this.checkpointer?.stop();
    this.db.close();
  }
}
