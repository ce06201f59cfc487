import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../domain/jobs/job-record.js';
import { describeStoreContract } from '../store-contract.js';
import { migrations } from './migrations.js';
import { SqliteStore } from './sqlite-store.js';

async function fresh(): Promise<{
  store: SqliteStore;
  reopen: () => Promise<SqliteStore>;
  cleanup: () => Promise<void>;
  path: string;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-store-'));
  const path = join(dir, 'hangar.db');
  const store = new SqliteStore(path);
  await store.migrate();
  let current: SqliteStore = store;
  return {
    store,
    path,
    reopen: async () => {
      current = new SqliteStore(path);
      await current.migrate();
      return current;
    },
    cleanup: async () => {
      await current.close().catch(() => undefined);
      await store.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describeStoreContract('SQLite (real file)', fresh);

describe('SQLite specifics', () => {
  it('runs in WAL mode and records the schema version in user_version', async () => {
    const { path, cleanup, store } = await fresh();
    await store.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(migrations[migrations.length - 1]?.version);
    db.close();
    await cleanup();
  });

  it("a transaction that waits on other I/O is rolled back, so no other request's writes join it", async () => {
    const { store, cleanup } = await fresh();
    const job = {
      name: 'slow',
      workspace: 'default',
      spec: { command: 'echo' },
      computeName: 'cpu',
      experimentName: 'e',
      status: 'Queued',
      priority: 0,
      queueSeq: 1,
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
      createdAt: '2026-01-01T00:00:00.000Z',
      modifiedAt: '2026-01-01T00:00:00.000Z',
      version: 1,
    } satisfies JobRecord;
    await expect(
      store.transaction(async () => {
        await store.jobs.insert(job);
        await new Promise((r) => setTimeout(r, 5));
      }),
    ).rejects.toThrow(/awaited something other than the store/);
    expect(await store.jobs.get('default', 'slow')).toBeUndefined();
    await cleanup();
  });
});
