import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { describeStoreContract } from '../store-contract.js';
import { migrations } from './migrations.js';
import { SqliteStore } from './sqlite-store.js';

async function fresh(): Promise<{ store: SqliteStore; reopen: () => Promise<SqliteStore>; cleanup: () => Promise<void>; path: string }> {
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
});
