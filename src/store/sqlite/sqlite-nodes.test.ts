import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import { SqliteStore } from './sqlite-store.js';

describe('SQLite nodes', () => {
  it('finds a node by its token or session hash through an index, not a scan of every node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-nodes-'));
    const store = new SqliteStore(join(dir, 'hangar.db'));
    const db = new Database(join(dir, 'hangar.db'), { readonly: true });
    try {
      await store.migrate();
      const plan = (sql: string): string =>
        (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('x') as { detail: string }[])
          .map((r) => r.detail)
          .join('; ');
      // The repository's own queries (sqlite-nodes.ts), as every agent call and registration asks them.
      expect(plan('SELECT doc FROM nodes WHERE token_hash = ?')).toContain('USING INDEX nodes_token');
      expect(plan('SELECT doc FROM nodes WHERE session_token_hash = ?')).toContain(
        'USING INDEX nodes_session',
      );
    } finally {
      db.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers all() in id order and filtered, from its own writes as from a fresh read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-nodes-'));
    const store = new SqliteStore(join(dir, 'hangar.db'));
    try {
      await store.migrate();
      const node = (id: string, computeId: string, workspace = 'default'): NodeRecord => ({
        id,
        workspace,
        computeId,
        computeName: computeId,
        provider: 'local',
        state: 'preparing',
        slots: 1,
        createdAt: '2026-01-01T00:00:00.000Z',
        version: 1,
      });
      await store.nodes.insert(node('n5', 'a'));
      expect((await store.nodes.all({})).map((n) => n.id)).toEqual(['n5']);
      // Written after the first read: they join the kept answer at their place.
      for (const [id, c, ws] of [
        ['n2', 'b', 'default'],
        ['n9', 'a', 'default'],
        ['n1', 'a', 'other'],
      ] as const)
        await store.nodes.insert(node(id, c, ws));
      await store.nodes.update({ ...(await store.nodes.get('n9'))!, state: 'idle' });
      const seen = async (): Promise<unknown> => ({
        all: (await store.nodes.all({})).map((n) => n.id),
        a: (await store.nodes.all({ computeId: 'a' })).map((n) => `${n.id}:${n.state}:${n.version}`),
        ws: (await store.nodes.all({ workspace: 'default', computeId: 'a' })).map((n) => n.id),
      });
      const expected = {
        all: ['n1', 'n2', 'n5', 'n9'],
        a: ['n1:preparing:1', 'n5:preparing:1', 'n9:idle:2'],
        ws: ['n5', 'n9'],
      };
      expect(await seen()).toEqual(expected);
      await store.nodes.delete('n2');
      expected.all = ['n1', 'n5', 'n9'];
      expect(await seen()).toEqual(expected);
      // The same answer read afresh from the file.
      store.nodes.forget();
      expect(await seen()).toEqual(expected);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
