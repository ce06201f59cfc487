import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
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
});
