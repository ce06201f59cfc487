import { join } from 'node:path';
import type { HangarConfig } from '../../config/config.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import type { Store } from '../../store/store.js';
import type { Logger } from '../logging/logger.js';
import { alwaysOwned, type KeyOwnership } from '../loops/loop-runner.js';
import { soloBus, type ClusterBus } from './cluster-bus.js';

/** The store a server runs on and how it shares the work with other replicas (if any). */
export interface ServerStore {
  store: Store;
  /** Where the data lives, for logs (a PostgreSQL URL with its password hidden). */
  describe: string;
  ownership: KeyOwnership;
  bus: ClusterBus;
  /** Runs `fn` while no other replica runs its own (first start: default workspace, admin). */
  serially<T>(fn: () => Promise<T>): Promise<T>;
  /** Closes the cluster connection (freeing this replica's loop keys), then the store. */
  close(): Promise<void>;
}

/**
 * SQLite in HOME/hangar.db by default (one server); PostgreSQL when `database.url` is set, with
 * advisory-lock key ownership and LISTEN/NOTIFY wake-ups. The PostgreSQL modules (and `pg`) are
 * loaded only then.
 */
export async function openServerStore(config: HangarConfig, log: Logger): Promise<ServerStore> {
  const url = config.database.url;
  if (!url) {
    const store = new SqliteStore(join(config.home, 'hangar.db'));
    return {
      store,
      describe: join(config.home, 'hangar.db'),
      ownership: alwaysOwned,
      bus: soloBus,
      serially: (fn) => fn(),
      close: () => store.close(),
    };
  }
  const [{ PostgresStore }, { redactUrl }, { PgCluster }] = await Promise.all([
    import('../../store/postgres/postgres-store.js'),
    import('../../store/postgres/pg-db.js'),
    import('./pg-cluster.js'),
  ]);
  const shown = redactUrl(url);
  const store = new PostgresStore(url);
  const cluster = new PgCluster(url, (message, err) =>
    log.warn(`cluster: ${message}`, {
      database: shown,
      error: err instanceof Error ? err.message : String(err ?? ''),
    }),
  );
  try {
    await cluster.start();
  } catch (err) {
    await store.close().catch(() => undefined);
    // pg's messages name host and port, never the password; the URL is shown redacted.
    throw new Error(`cannot connect to the database ${shown}: ${(err as Error).message}`);
  }
  return {
    store,
    describe: shown,
    ownership: cluster,
    bus: cluster,
    serially: (fn) => cluster.serially(fn),
    async close() {
      await cluster.close();
      await store.close();
    },
  };
}
