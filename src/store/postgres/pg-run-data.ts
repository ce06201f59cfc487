import { HangarError } from '../../domain/errors/hangar-error.js';
import type { KeyValue, MetricPoint } from '../../domain/metrics/run-data.js';
import type { RunDataRepository } from '../store.js';
import type { PgDb } from './pg-db.js';

interface MetricRow {
  key: string;
  value: number;
  timestamp: string;
  step: string;
}

const point = (r: MetricRow): MetricPoint => ({
  key: r.key,
  value: r.value,
  timestamp: Number(r.timestamp),
  step: Number(r.step),
});

/** Metrics (append-only, ordered by a per-job sequence) and params/tags (one value per key). */
export class PgRunData implements RunDataRepository {
  constructor(private readonly db: PgDb) {}

  logMetrics(workspace: string, job: string, points: MetricPoint[]): Promise<void> {
    if (points.length === 0) return Promise.resolve();
    // One statement numbers the batch after the job's last seq; the transaction lock keeps batches apart.
    return this.db.transaction(async () => {
      await this.db.query(
        `INSERT INTO metrics (workspace, job_name, seq, key, value, timestamp, step)
           SELECT $1, $2, base.seq + p.ord, p.key, p.value, p.timestamp, p.step
           FROM (SELECT COALESCE(MAX(seq), 0) AS seq FROM metrics WHERE workspace = $1 AND job_name = $2) base,
                unnest($3::text[], $4::float8[], $5::bigint[], $6::bigint[]) WITH ORDINALITY
                  AS p(key, value, timestamp, step, ord)`,
        [
          workspace,
          job,
          points.map((p) => p.key),
          points.map((p) => p.value),
          points.map((p) => p.timestamp),
          points.map((p) => p.step),
        ],
      );
    });
  }

  async metricHistory(workspace: string, job: string, key: string): Promise<MetricPoint[]> {
    const rows = await this.db.rows<MetricRow>(
      'SELECT key, value, timestamp, step FROM metrics WHERE workspace = $1 AND job_name = $2 AND key = $3 ORDER BY seq',
      [workspace, job, key],
    );
    return rows.map(point);
  }

  async latestMetrics(workspace: string, job: string): Promise<MetricPoint[]> {
    const rows = await this.db.rows<MetricRow>(
      `SELECT DISTINCT ON (key) key, value, timestamp, step FROM metrics
         WHERE workspace = $1 AND job_name = $2 ORDER BY key, seq DESC`,
      [workspace, job],
    );
    return rows.map(point);
  }

  logParams(workspace: string, job: string, params: KeyValue[]): Promise<void> {
    return this.db.transaction(async () => {
      for (const p of params) {
        const existing = await this.db.one<{ value: string }>(
          "SELECT value FROM run_values WHERE workspace = $1 AND job_name = $2 AND kind = 'param' AND key = $3",
          [workspace, job, p.key],
        );
        if (existing === undefined)
          await this.db.query(
            "INSERT INTO run_values (workspace, job_name, kind, key, value) VALUES ($1, $2, 'param', $3, $4)",
            [workspace, job, p.key, p.value],
          );
        else if (existing.value !== p.value)
          throw new HangarError(
            'ValidationFailed',
            `Param '${p.key}' was already logged with value '${existing.value}'; params are write-once (new value '${p.value}').`,
            `params.${p.key}`,
          );
      }
    });
  }

  params(workspace: string, job: string): Promise<KeyValue[]> {
    return this.values(workspace, job, 'param');
  }

  setTags(workspace: string, job: string, tags: KeyValue[]): Promise<void> {
    return this.db.transaction(async () => {
      for (const t of tags)
        await this.db.query(
          `INSERT INTO run_values (workspace, job_name, kind, key, value) VALUES ($1, $2, 'tag', $3, $4)
             ON CONFLICT (workspace, job_name, kind, key) DO UPDATE SET value = excluded.value`,
          [workspace, job, t.key, t.value],
        );
    }, false);
  }

  tags(workspace: string, job: string): Promise<KeyValue[]> {
    return this.values(workspace, job, 'tag');
  }

  private values(workspace: string, job: string, kind: string): Promise<KeyValue[]> {
    return this.db.rows<KeyValue>(
      'SELECT key, value FROM run_values WHERE workspace = $1 AND job_name = $2 AND kind = $3 ORDER BY key',
      [workspace, job, kind],
    );
  }
}
