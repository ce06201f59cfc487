import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/helpers/processes.js';
import { SqliteStore } from './sqlite-store.js';
import { WalCheckpointer } from './wal-checkpointer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function database(): { path: string; db: Database.Database } {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-wal-'));
  dirs.push(dir);
  const path = join(dir, 'test.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // This connection never checkpoints itself: what gets copied is the worker's doing.
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, doc TEXT NOT NULL)');
  return { path, db };
}

describe('WalCheckpointer', () => {
  it("copies the WAL into the database from its own thread, unseen by the writer's caches, and keeps every row", async () => {
    const { path, db } = database();
    const version = db.pragma('data_version', { simple: true });
    const checkpointer = new WalCheckpointer(path, 5);
    const insert = db.prepare('INSERT INTO t (doc) VALUES (?)');
    for (let i = 0; i < 2000; i++) insert.run(`row ${i} ${'x'.repeat(500)}`);
    await waitFor(() => checkpointer.done.frames > 0, 'the worker to copy frames', 20_000, 10);
    expect(checkpointer.done.runs).toBeGreaterThan(0);
    // A checkpoint is not a commit: the writer's connection (its job cache asks data_version) sees no change.
    expect(db.pragma('data_version', { simple: true })).toBe(version);
    await checkpointer.stop();
    const runs = checkpointer.done.runs;
    await new Promise((r) => setTimeout(r, 30));
    expect(checkpointer.done.runs).toBe(runs);
    db.close();
    const reopened = new Database(path, { readonly: true });
    expect(reopened.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 2000 });
    expect(reopened.pragma('integrity_check', { simple: true })).toBe('ok');
    reopened.close();
  });

  it('a database that is not there stops the worker, not the caller', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-wal-'));
    dirs.push(dir);
    const checkpointer = new WalCheckpointer(join(dir, 'missing.db'), 5);
    await checkpointer.stop();
    expect(checkpointer.done).toEqual({ runs: 0, frames: 0, busy: 0 });
  });

  it('the SQLite store checkpoints its file from a worker, stops it on close, and has none in memory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-wal-'));
    dirs.push(dir);
    const store = new SqliteStore(join(dir, 'hangar.db'));
    await store.migrate();
    expect(store.checkpointer).toBeInstanceOf(WalCheckpointer);
    await waitFor(() => (store.checkpointer?.done.runs ?? 0) > 0, 'a checkpoint of the store', 20_000, 10);
    await store.close();
    const memory = new SqliteStore(':memory:');
    expect(memory.checkpointer).toBeUndefined();
    await memory.close();
  });
});
