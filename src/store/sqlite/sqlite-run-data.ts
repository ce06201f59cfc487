import type Database from 'better-sqlite3';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { KeyValue, MetricPoint } from '../../domain/metrics/run-data.js';
import type { RunDataRepository } from '../store.js';
import { settle } from './settle.js';
import { statement } from './statements.js';

interface MetricRow {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

const point = (r: MetricRow): MetricPoint => ({
  key: r.key,
  value: r.value,
  timestamp: Number(r.timestamp),
  step: Number(r.step),
});

/** Metrics (append-only, ordered by a per-job sequence) and params/tags (one value per key). */
export class SqliteRunData implements RunDataRepository {
  constructor(private readonly db: Database.Database) {}

  logMetrics(workspace: string, job: string, points: MetricPoint[]): Promise<void> {
    const next = statement(
      this.db,
      'SELECT COALESCE(MAX(seq), 0) AS seq FROM metrics WHERE workspace = ? AND job_name = ?',
    );
    const insert = statement(
      this.db,
      'INSERT INTO metrics (workspace, job_name, seq, key, value, timestamp, step) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      let seq = (next.get(workspace, job) as { seq: number }).seq;
      for (const p of points) insert.run(workspace, job, ++seq, p.key, p.value, p.timestamp, p.step);
    })();
    return Promise.resolve();
  }

  metricHistory(workspace: string, job: string, key: string): Promise<MetricPoint[]> {
    const rows = statement(
      this.db,
      'SELECT key, value, timestamp, step FROM metrics WHERE workspace = ? AND job_name = ? AND key = ? ORDER BY seq',
    ).all(workspace, job, key) as MetricRow[];
    return Promise.resolve(rows.map(point));
  }

  latestMetrics(workspace: string, job: string): Promise<MetricPoint[]> {
    const rows = statement(
      this.db,
      `SELECT m.key, m.value, m.timestamp, m.step FROM metrics m
         JOIN (SELECT key, MAX(seq) AS seq FROM metrics WHERE workspace = ? AND job_name = ? GROUP BY key) last
           ON m.key = last.key AND m.seq = last.seq
         WHERE m.workspace = ? AND m.job_name = ? ORDER BY m.key`,
    ).all(workspace, job, workspace, job) as MetricRow[];
    return Promise.resolve(rows.map(point));
  }

  logParams(workspace: string, job: string, params: KeyValue[]): Promise<void> {
    return settle(() => {
      const read = statement(
        this.db,
        "SELECT value FROM run_values WHERE workspace = ? AND job_name = ? AND kind = 'param' AND key = ?",
      );
      const insert = statement(
        this.db,
        "INSERT INTO run_values (workspace, job_name, kind, key, value) VALUES (?, ?, 'param', ?, ?)",
      );
      this.db.transaction(() => {
        for (const p of params) {
          const existing = read.get(workspace, job, p.key) as { value: string } | undefined;
          if (existing === undefined) insert.run(workspace, job, p.key, p.value);
          else if (existing.value !== p.value) {
            throw new HangarError(
              'ValidationFailed',
              `Param '${p.key}' was already logged with value '${existing.value}'; params are write-once (new value '${p.value}').`,
              `params.${p.key}`,
            );
          }
        }
      })();
      return Promise.resolve();
    });
  }

  params(workspace: string, job: string): Promise<KeyValue[]> {
    return Promise.resolve(this.values(workspace, job, 'param'));
  }

  setTags(workspace: string, job: string, tags: KeyValue[]): Promise<void> {
    const upsert = statement(
      this.db,
      "INSERT INTO run_values (workspace, job_name, kind, key, value) VALUES (?, ?, 'tag', ?, ?) ON CONFLICT (workspace, job_name, kind, key) DO UPDATE SET value = excluded.value",
    );
    this.db.transaction(() => tags.forEach((t) => upsert.run(workspace, job, t.key, t.value)))();
    return Promise.resolve();
  }

  tags(workspace: string, job: string): Promise<KeyValue[]> {
    return Promise.resolve(this.values(workspace, job, 'tag'));
  }

  private values(workspace: string, job: string, kind: string): KeyValue[] {
    return statement(
      this.db,
      'SELECT key, value FROM run_values WHERE workspace = ? AND job_name = ? AND kind = ? ORDER BY key',
    ).all(workspace, job, kind) as KeyValue[];
  }
}
