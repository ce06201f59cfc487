import { HangarError } from '../../domain/errors/hangar-error.js';
import { unfinishedStates, type JobRecord } from '../../domain/jobs/job-record.js';
import { snapshotIdsOf } from '../../domain/snapshots/snapshot-refs.js';
import { decodeToken, toPage } from '../sqlite/paging.js';
import type { JobDemand, JobFilter, JobRepository, Page, PageRequest } from '../store.js';
import type { PgDb } from './pg-db.js';

interface Row {
  workspace: string;
  name: string;
  created_at: string;
  doc: string;
}

const columns = 'workspace, name, created_at, doc';
const parse = (r: Row): JobRecord => JSON.parse(r.doc) as JobRecord;

/** The WHERE clause of a filter, numbering parameters from `first`. */
function where(f: JobFilter, first = 1): { sql: string; args: unknown[] } {
  const parts: string[] = [];
  const args: unknown[] = [];
  const eq = (col: string, v: string | undefined): void => {
    if (v === undefined) return;
    args.push(v);
    parts.push(`${col} = $${first + args.length - 1}`);
  };
  eq('workspace', f.workspace);
  eq('compute_name', f.computeName);
  eq('experiment_name', f.experimentName);
  eq('node_id', f.nodeId);
  if (f.statuses && f.statuses.length > 0) {
    args.push(f.statuses);
    parts.push(`status = ANY($${first + args.length - 1}::text[])`);
  }
  if (f.family)
    parts.push("((doc::json ->> 'controller') IS NOT NULL OR (doc::json ->> 'parentJobName') IS NOT NULL)");
  return { sql: parts.length > 0 ? parts.join(' AND ') : 'TRUE', args };
}

/** Jobs as JSON documents with the columns queries need. */
export class PgJobs implements JobRepository {
  constructor(private readonly db: PgDb) {}

  async get(workspace: string, name: string): Promise<JobRecord | undefined> {
    const row = await this.db.one<Row>(`SELECT ${columns} FROM jobs WHERE workspace = $1 AND name = $2`, [
      workspace,
      name,
    ]);
    return row ? parse(row) : undefined;
  }

  async list(filter: JobFilter, page: PageRequest): Promise<Page<JobRecord>> {
    const w = where(filter);
    const [afterAt, afterName] = (decodeToken(page.skipToken) ?? []) as string[];
    const n = w.args.length;
    const cursor =
      afterAt === undefined
        ? ''
        : ` AND (created_at < $${n + 1} OR (created_at = $${n + 1} AND name < $${n + 2}))`;
    const cursorArgs = afterAt === undefined ? [] : [afterAt, afterName ?? ''];
    // Lists show what users submitted: the ranks of a multi-node job, a sweep's trials and a pipeline's
    // steps stay out of them, in the query so that every page is full and the token walks them all.
    const rows = await this.db.rows<Row>(
      `SELECT ${columns} FROM jobs WHERE ${w.sql} AND gang_parent IS NULL AND (doc::json ->> 'parentJobName') IS NULL${cursor}
         ORDER BY created_at DESC, name DESC LIMIT $${n + cursorArgs.length + 1}`,
      [...w.args, ...cursorArgs, page.top + 1],
    );
    return toPage(rows, page, (r) => [r.created_at, r.name], parse);
  }

  async all(filter: JobFilter): Promise<JobRecord[]> {
    const w = where(filter);
    const rows = await this.db.rows<Row>(
      `SELECT ${columns} FROM jobs WHERE ${w.sql} ORDER BY created_at, name`,
      w.args,
    );
    return rows.map(parse);
  }

  async demand(): Promise<JobDemand> {
    // Counted in the database: only the sums and node ids travel.
    const unfinished = `status IN (${unfinishedStates.map((state) => `'${state}'`).join(', ')})`;
    const sums = await this.db.rows<{ workspace: string; compute_name: string; n: string }>(
      `SELECT workspace, compute_name, SUM((doc::json -> 'run' ->> 'instanceCount')::int) AS n FROM jobs
         WHERE ${unfinished} AND gang_parent IS NULL AND (doc::json ->> 'controller') IS NULL
         GROUP BY workspace, compute_name`,
    );
    const busy = await this.db.rows<{ node_id: string }>(
      `SELECT DISTINCT node_id FROM jobs WHERE ${unfinished} AND node_id IS NOT NULL`,
    );
    return {
      byCompute: new Map(
        sums.filter((r) => Number(r.n) !== 0).map((r) => [`${r.workspace}/${r.compute_name}`, Number(r.n)]),
      ),
      busyNodes: new Set(busy.map((r) => r.node_id)),
    };
  }

  async referencing(snapshotId: string): Promise<JobRecord[]> {
    // A text search narrows the scan (a snapshot id is a 64-hex hash); the fields then decide.
    const rows = await this.db.rows<Row>(
      `SELECT ${columns} FROM jobs WHERE strpos(doc, $1) > 0 ORDER BY created_at, name`,
      [snapshotId],
    );
    return rows.map(parse).filter((j) => snapshotIdsOf(j).includes(snapshotId));
  }

  async insert(record: JobRecord): Promise<void> {
    const r = await this.db.query(
      `INSERT INTO jobs (workspace, name, compute_name, experiment_name, status, node_id, created_at, doc, version, gang_parent)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
      [
        record.workspace,
        record.name,
        record.computeName,
        record.experimentName,
        record.status,
        record.nodeId ?? null,
        record.createdAt,
        JSON.stringify(record),
        record.version,
        record.gang?.parent ?? null,
      ],
    );
    if (r.rowCount === 0)
      throw new HangarError(
        'NameConflict',
        `A job named '${record.name}' already exists in workspace '${record.workspace}'.`,
        'name',
      );
  }

  async update(record: JobRecord): Promise<JobRecord> {
    const written = { ...record, version: record.version + 1 };
    const r = await this.db.query(
      'UPDATE jobs SET status = $1, node_id = $2, doc = $3, version = version + 1 WHERE workspace = $4 AND name = $5 AND version = $6',
      [
        record.status,
        record.nodeId ?? null,
        JSON.stringify(written),
        record.workspace,
        record.name,
        record.version,
      ],
    );
    if (r.rowCount === 0)
      throw new HangarError(
        'Conflict',
        `Job '${record.name}' was changed concurrently; read it again and retry.`,
        record.name,
      );
    return written;
  }

  async nextQueueSeq(): Promise<number> {
    const row = await this.db.one<{ value: string }>(
      "INSERT INTO counters (name, value) VALUES ('queue_seq', 1) ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
    );
    return Number(row?.value);
  }
}
