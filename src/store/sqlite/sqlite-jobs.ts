import type Database from 'better-sqlite3';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { JobRecord } from '../../domain/jobs/job-record.js';
import { snapshotIdsOf } from '../../domain/snapshots/snapshot-refs.js';
import type { JobFilter, JobRepository, Page, PageRequest } from '../store.js';
import { decodeToken, toPage } from './paging.js';
import { settle } from './settle.js';
import { statement } from './statements.js';

interface Row {
  workspace: string;
  name: string;
  created_at: string;
  version: number;
  doc: string;
}

const columns = 'workspace, name, created_at, version, doc';
/** Parsed documents kept (bounded) so loops that re-read the active jobs every pass skip JSON.parse. */
const cacheLimit = 20_000;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function where(f: JobFilter): { sql: string; args: unknown[] } {
  const parts: string[] = [];
  const args: unknown[] = [];
  const eq = (col: string, v: string | undefined): void => {
    if (v === undefined) return;
    parts.push(`${col} = ?`);
    args.push(v);
  };
  eq('workspace', f.workspace);
  eq('compute_name', f.computeName);
  eq('experiment_name', f.experimentName);
  eq('node_id', f.nodeId);
  if (f.statuses && f.statuses.length > 0) {
    parts.push(`status IN (${f.statuses.map(() => '?').join(', ')})`);
    args.push(...f.statuses);
  }
  return { sql: parts.length > 0 ? parts.join(' AND ') : '1 = 1', args };
}

/** Jobs as JSON documents with the columns queries need. */
export class SqliteJobs implements JobRepository {
  private readonly parsed = new Map<string, { version: number; createdAt: string; record: JobRecord }>();

  constructor(private readonly db: Database.Database) {}

  /**
   * The record of a row, parsed once per version. Records are shared and deeply frozen: callers
   * write changes as new records (as every transition does), never by mutating one they read.
   */
  private readonly parse = (row: Row): JobRecord => {
    const key = `${row.workspace}\0${row.name}`;
    const hit = this.parsed.get(key);
    if (hit && hit.version === row.version && hit.createdAt === row.created_at) return hit.record;
    const record = deepFreeze(JSON.parse(row.doc) as JobRecord);
    if (this.parsed.size >= cacheLimit) this.parsed.clear();
    this.parsed.set(key, { version: row.version, createdAt: row.created_at, record });
    return record;
  };

  get(workspace: string, name: string): Promise<JobRecord | undefined> {
    const row = statement(this.db, `SELECT ${columns} FROM jobs WHERE workspace = ? AND name = ?`).get(
      workspace,
      name,
    ) as Row | undefined;
    return Promise.resolve(row ? this.parse(row) : undefined);
  }

  list(filter: JobFilter, page: PageRequest): Promise<Page<JobRecord>> {
    const w = where(filter);
    const [afterAt, afterName] = (decodeToken(page.skipToken) ?? []) as string[];
    const cursor = afterAt === undefined ? '' : ' AND (created_at < ? OR (created_at = ? AND name < ?))';
    const cursorArgs = afterAt === undefined ? [] : [afterAt, afterAt, afterName ?? ''];
    // Lists show what users submitted: the ranks of a multi-node job stay out of them.
    const rows = statement(
      this.db,
      `SELECT ${columns} FROM jobs WHERE ${w.sql} AND gang_parent IS NULL${cursor} ORDER BY created_at DESC, name DESC LIMIT ?`,
    ).all(...w.args, ...cursorArgs, page.top + 1) as Row[];
    return Promise.resolve(toPage(rows, page, (r) => [r.created_at, r.name], this.parse));
  }

  all(filter: JobFilter): Promise<JobRecord[]> {
    const w = where(filter);
    // Keys first, documents only for versions not parsed yet: loops re-read the same active jobs
    // every pass, and copying their documents out of SQLite would cost more than the query.
    const keys = statement(
      this.db,
      `SELECT workspace, name, created_at, version FROM jobs WHERE ${w.sql} ORDER BY created_at, name`,
    ).all(...w.args) as Omit<Row, 'doc'>[];
    const docOf = statement(this.db, 'SELECT doc FROM jobs WHERE workspace = ? AND name = ?');
    const records = keys.map((k) => {
      const hit = this.parsed.get(`${k.workspace}\0${k.name}`);
      if (hit && hit.version === k.version && hit.createdAt === k.created_at) return hit.record;
      const row = docOf.get(k.workspace, k.name) as { doc: string } | undefined;
      return row ? this.parse({ ...k, doc: row.doc }) : undefined;
    });
    return Promise.resolve(records.filter((r): r is JobRecord => r !== undefined));
  }

  referencing(snapshotId: string): Promise<JobRecord[]> {
    // A text search narrows the scan (a snapshot id is a 64-hex hash); the fields then decide.
    const rows = statement(
      this.db,
      `SELECT ${columns} FROM jobs WHERE instr(doc, ?) > 0 ORDER BY created_at, name`,
    ).all(snapshotId) as Row[];
    return Promise.resolve(rows.map(this.parse).filter((j) => snapshotIdsOf(j).includes(snapshotId)));
  }

  insert(record: JobRecord): Promise<void> {
    return settle(() => {
      try {
        statement(
          this.db,
          'INSERT INTO jobs (workspace, name, compute_name, experiment_name, status, node_id, created_at, doc, version, gang_parent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        ).run(
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
        );
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new HangarError(
            'NameConflict',
            `A job named '${record.name}' already exists in workspace '${record.workspace}'.`,
            'name',
          );
        }
        throw err;
      }
      return Promise.resolve();
    });
  }

  update(record: JobRecord): Promise<JobRecord> {
    return settle(() => {
      const written = { ...record, version: record.version + 1 };
      const r = statement(
        this.db,
        'UPDATE jobs SET status = ?, node_id = ?, doc = ?, version = ? WHERE workspace = ? AND name = ? AND version = ?',
      ).run(
        record.status,
        record.nodeId ?? null,
        JSON.stringify(written),
        written.version,
        record.workspace,
        record.name,
        record.version,
      );
      if (r.changes === 0)
        throw new HangarError(
          'Conflict',
          `Job '${record.name}' was changed concurrently; read it again and retry.`,
          record.name,
        );
      return written;
    });
  }

  nextQueueSeq(): Promise<number> {
    const row = statement(
      this.db,
      "INSERT INTO counters (name, value) VALUES ('queue_seq', 1) ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
    ).get() as { value: number };
    return Promise.resolve(row.value);
  }
}
