import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable, startPostgres, type PostgresServer } from '../../../test/helpers/postgres.js';
import { describeStoreContract } from '../store-contract.js';
import { pgMigrations } from './migrations.js';
import { redactUrl } from './pg-db.js';
import { PostgresStore } from './postgres-store.js';

let server: PostgresServer | undefined;

beforeAll(async () => {
  if (postgresAvailable) server = await startPostgres();
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

/** A fresh database per case, migrated; reopen connects to the same database again. */
async function fresh(): Promise<{
  store: PostgresStore;
  url: string;
  reopen: () => Promise<PostgresStore>;
  cleanup: () => Promise<void>;
}> {
  if (!server) throw new Error('PostgreSQL is not installed (/usr/lib/postgresql/15/bin)');
  const url = await server.createDatabase();
  const store = new PostgresStore(url);
  await store.migrate();
  const opened: PostgresStore[] = [store];
  return {
    store,
    url,
    reopen: async () => {
      const again = new PostgresStore(url);
      opened.push(again);
      await again.migrate();
      return again;
    },
    cleanup: async () => {
      for (const s of opened) await s.close().catch(() => undefined);
    },
  };
}

describe.skipIf(!postgresAvailable)('PostgreSQL store', () => {
  describeStoreContract('PostgreSQL (real server)', fresh);

  describe('PostgreSQL specifics', () => {
    it('records applied migrations in schema_migrations; replicas migrating at once apply each once', async () => {
      if (!server) throw new Error('no server');
      const url = await server.createDatabase();
      const replicas = [0, 1, 2].map(() => new PostgresStore(url));
      try {
        const versions = await Promise.all(replicas.map((s) => s.migrate()));
        const last = pgMigrations[pgMigrations.length - 1]?.version;
        expect(versions).toEqual([last, last, last]);
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        const rows = (
          await c.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')
        ).rows;
        await c.end();
        expect(rows.map((r) => r.version)).toEqual(pgMigrations.map((m) => m.version));
      } finally {
        await Promise.all(replicas.map((s) => s.close()));
      }
    });

    it('transactions on two connections run one after the other, so a read-decide-write plan never interleaves', async () => {
      const { store, url, cleanup } = await fresh();
      const other = new PostgresStore(url);
      try {
        // Each plan reads the count of jobs and inserts one named after it: interleaved, both would read 0.
        const plan = (s: PostgresStore) =>
          s.transaction(async () => {
            const n = (await s.jobs.all({})).length;
            await new Promise((r) => setTimeout(r, 50));
            await s.events.append({
              at: 't',
              workspace: 'w',
              resource: `seen-${n}`,
              reason: 'R',
              message: 'm',
              level: 'Info',
            });
            await s.jobs.nextQueueSeq();
            await s.workspaces.insert({
              name: `plan-${n}`,
              location: 'local',
              tags: {},
              locks: [],
              createdAt: 't',
              modifiedAt: 't',
              version: 1,
            });
            await s.jobs.insert({
              name: `j${n}`,
              workspace: 'default',
              spec: { command: 'echo' },
              computeName: 'cpu',
              experimentName: 'e',
              status: 'Queued',
              priority: 0,
              queueSeq: n,
              attempts: [],
              delivered: false,
              cancelRequested: false,
              run: {
                command: 'echo',
                environment: { kind: 'user-managed' },
                env: {},
                inputs: [],
                instanceCount: 1,
                maxAttempts: 1,
              },
              createdAt: 't',
              modifiedAt: 't',
              version: 1,
            });
          });
        await Promise.all([plan(store), plan(other)]);
        expect((await store.jobs.all({})).map((j) => j.name).sort()).toEqual(['j0', 'j1']);
      } finally {
        await other.close();
        await cleanup();
      }
    });

    it('a status write waits for the row lock of a concurrent one, so neither is lost', async () => {
      const { store, url, cleanup } = await fresh();
      const other = new PostgresStore(url);
      try {
        await store.computes.insert({
          id: 'c1',
          workspace: 'w',
          name: 'cpu',
          createdAt: 't',
          modifiedAt: 't',
          version: 1,
          spec: {
            computeType: 'AmlCompute',
            location: 'local',
            description: 'd',
            tags: {},
            identity: { type: 'None' },
            properties: {
              vmSize: 'Standard_D2_v2',
              scaleSettings: { minNodeCount: 0, maxNodeCount: 2, nodeIdleTimeBeforeScaleDown: 'PT120S' },
            },
            secretPaths: [],
          },
          status: {
            provisioningState: 'Creating',
            provisioningErrors: [],
            observed: { currentNodeCount: 0 },
          },
        } as never);
        // 20 increments from two connections at once: each read-modify-write sees the one before.
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 ? store : other).computes.updateStatus('c1', (c) => ({
              status: {
                ...c.status,
                observed: {
                  ...c.status.observed,
                  currentNodeCount: Number(c.status.observed.currentNodeCount) + 1,
                },
              },
            })),
          ),
        );
        expect((await store.computes.getById('c1'))?.status.observed.currentNodeCount).toBe(20);
      } finally {
        await other.close();
        await cleanup();
      }
    });

    it('a URL shown in logs has its password hidden', () => {
      expect(redactUrl('postgres://hangar:s3cret@db.example:5432/hangar')).toBe(
        'postgres://hangar:***@db.example:5432/hangar',
      );
      expect(redactUrl('postgres://hangar@db/h')).toBe('postgres://hangar@db/h');
    });
  });
});
