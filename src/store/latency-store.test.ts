import { describe, expect, it } from 'vitest';
import type { WorkspaceRecord } from '../domain/workspace/workspace.js';
import { withLatency } from './latency-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

const ws = (name: string): WorkspaceRecord => ({
  name,
  location: 'local',
  tags: {},
  locks: [],
  createdAt: 't',
  modifiedAt: 't',
  version: 1,
});

describe('store with latency (tests only)', () => {
  it('lets other writes land between two calls of one flow, as a networked database would', async () => {
    const sqlite = new SqliteStore(':memory:');
    await sqlite.migrate();
    const store = withLatency(sqlite, 5);
    try {
      await store.workspaces.insert(ws('a'));
      const read = await store.workspaces.get('a');
      if (!read) throw new Error('inserted workspace should read back');
      // Another flow writes while this one's write is on its way: the stale write is a Conflict.
      const stale = store.workspaces.update({ ...read, tags: { by: 'first' } });
      await sqlite.workspaces.update({ ...read, tags: { by: 'other' } });
      await expect(stale).rejects.toMatchObject({ code: 'Conflict' });
      expect((await store.workspaces.get('a'))?.tags).toEqual({ by: 'other' });
    } finally {
      await store.close();
    }
  });

  it('runs transactions in one turn (not rolled back as waiting on other I/O), nested ones too', async () => {
    const sqlite = new SqliteStore(':memory:');
    await sqlite.migrate();
    const store = withLatency(sqlite, 5);
    try {
      await store.transaction(async () => {
        await store.workspaces.insert(ws('a'));
        await store.transaction(async () => store.workspaces.insert(ws('b')));
      });
      expect((await store.workspaces.list({ top: 10 })).items.map((w) => w.name)).toEqual(['a', 'b']);
      await expect(
        store.transaction(async () => {
          await store.workspaces.insert(ws('c'));
          await store.workspaces.insert(ws('a'));
        }),
      ).rejects.toMatchObject({ code: 'NameConflict' });
      expect(await store.workspaces.get('c')).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
