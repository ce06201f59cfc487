import type Database from 'better-sqlite3';
import type { SamplePoint, SampleRepository } from '../store.js';
import { statement } from './statements.js';

interface Row {
  scope: string;
  key: string;
  t: number;
  value: number;
  resolution_ms: number;
}

/** Sampled series in one table; downsampling folds old raw points into per-bucket averages in SQL. */
export class SqliteSamples implements SampleRepository {
  constructor(private readonly db: Database.Database) {}

  append(points: SamplePoint[]): Promise<void> {
    const insert = statement(
      this.db,
      'INSERT INTO samples (scope, key, t, value, resolution_ms) VALUES (?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      for (const p of points) insert.run(p.scope, p.key, Math.round(p.t), p.value, p.resolutionMs);
    })();
    return Promise.resolve();
  }

  read(scope: string, sinceMs = 0): Promise<SamplePoint[]> {
    const rows = statement(
      this.db,
      'SELECT scope, key, t, value, resolution_ms FROM samples WHERE scope = ? AND t >= ? ORDER BY key, t',
    ).all(scope, Math.floor(sinceMs)) as Row[];
    return Promise.resolve(
      rows.map((r) => ({
        scope: r.scope,
        key: r.key,
        t: Number(r.t),
        value: r.value,
        resolutionMs: Number(r.resolution_ms),
      })),
    );
  }

  downsample(beforeMs: number, bucketMs: number): Promise<number> {
    // Whole buckets only: a bucket straddling `beforeMs` is folded once it is entirely older.
    const before = Math.floor(beforeMs / bucketMs) * bucketMs;
    const folded = this.db.transaction(() => {
      statement(
        this.db,
        `INSERT INTO samples (scope, key, t, value, resolution_ms)
           SELECT scope, key, (t / CAST(? AS INTEGER)) * CAST(? AS INTEGER), AVG(value), ? FROM samples
            WHERE t < ? AND resolution_ms < ? GROUP BY scope, key, t / CAST(? AS INTEGER)`,
      ).run(bucketMs, bucketMs, bucketMs, before, bucketMs, bucketMs);
      return statement(this.db, 'DELETE FROM samples WHERE t < ? AND resolution_ms < ?').run(before, bucketMs)
        .changes;
    })();
    return Promise.resolve(folded);
  }

  prune(beforeMs: number): Promise<number> {
    return Promise.resolve(
      statement(this.db, 'DELETE FROM samples WHERE t < ?').run(Math.floor(beforeMs)).changes,
    );
  }
}
