import type { SamplePoint, SampleRepository } from '../store.js';
import type { PgDb } from './pg-db.js';

interface Row {
  scope: string;
  key: string;
  t: string;
  value: number;
  resolution_ms: string;
}

/** Sampled series in one table; downsampling folds old raw points into per-bucket averages in SQL. */
export class PgSamples implements SampleRepository {
  constructor(private readonly db: PgDb) {}

  async append(points: SamplePoint[]): Promise<void> {
    if (points.length === 0) return;
    await this.db.query(
      `INSERT INTO samples (scope, key, t, value, resolution_ms)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::float8[], $5::bigint[])`,
      [
        points.map((p) => p.scope),
        points.map((p) => p.key),
        points.map((p) => Math.round(p.t)),
        points.map((p) => p.value),
        points.map((p) => p.resolutionMs),
      ],
    );
  }

  async read(scope: string, sinceMs = 0): Promise<SamplePoint[]> {
    const rows = await this.db.rows<Row>(
      'SELECT scope, key, t, value, resolution_ms FROM samples WHERE scope = $1 AND t >= $2 ORDER BY key, t',
      [scope, Math.floor(sinceMs)],
    );
    return rows.map((r) => ({
      scope: r.scope,
      key: r.key,
      t: Number(r.t),
      value: r.value,
      resolutionMs: Number(r.resolution_ms),
    }));
  }

  downsample(beforeMs: number, bucketMs: number): Promise<number> {
    // Whole buckets only: a bucket straddling `beforeMs` is folded once it is entirely older.
    const before = Math.floor(beforeMs / bucketMs) * bucketMs;
    return this.db.transaction(async () => {
      await this.db.query(
        `INSERT INTO samples (scope, key, t, value, resolution_ms)
           SELECT scope, key, (t / $1::bigint) * $1::bigint, AVG(value), $1::bigint FROM samples
            WHERE t < $2 AND resolution_ms < $1::bigint GROUP BY scope, key, t / $1::bigint`,
        [bucketMs, before],
      );
      const r = await this.db.query('DELETE FROM samples WHERE t < $1 AND resolution_ms < $2', [
        before,
        bucketMs,
      ]);
      return r.rowCount ?? 0;
    });
  }

  async prune(beforeMs: number): Promise<number> {
    return (await this.db.query('DELETE FROM samples WHERE t < $1', [Math.floor(beforeMs)])).rowCount ?? 0;
  }
}
