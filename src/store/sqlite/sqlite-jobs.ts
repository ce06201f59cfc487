import type Database from 'better-sqlite3';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { JobRecord } from '../../domain/jobs/job-record.js';
import type { JobFilter, JobRepository, Page, PageRequest } from '../store.js';
import { decodeToken, toPage } from './paging.js';
import { settle } from './settle.js';
import { statement } from './statements.js';

interface Row {
  name: string;
  created_at: string;
  doc: string;
}

const parse = (r: Row): JobRecord => JSON.parse(r.doc) as JobRecord;

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
  constructor(private readonly db: Database.Database) {}

  get(workspace: string, name: string): Promise<JobRecord | undefined> {
    const row = statement(this.db, 'SELECT name, created_at, doc FROM jobs WHERE workspace = ? AND name = ?').get(workspace, name) as Row | undefined;
    return Promise.resolve(row ? parse(row) : undefined);
  }

  list(filter: JobFilter, page: PageRequest): Promise<Page<JobRecord>> {
    const w = where(filter);
    const [afterAt, afterName] = (decodeToken(page.skipToken) ?? []) as string[];
    const cursor = afterAt === undefined ? '' : ' AND (created_at < ? OR (created_at = ? AND name < ?))';
    const cursorArgs = afterAt === undefined ? [] : [afterAt, afterAt, afterName ?? ''];
    const rows = statement(this.db, `SELECT name, created_at, doc FROM jobs WHERE ${w.sql}${cursor} ORDER BY created_at DESC, name DESC LIMIT ?`)
      .all(...w.args, ...cursorArgs, page.top + 1) as Row[];
    return Promise.resolve(toPage(rows, page, (r) => [r.created_at, r.name], parse));
  }

  all(filter: JobFilter): Promise<JobRecord[]> {
    const w = where(filter);
    const rows = statement(this.db, `SELECT name, created_at, doc FROM jobs WHERE ${w.sql} ORDER BY created_at, name`).all(...w.args) as Row[];
    return Promise.resolve(rows.map(parse));
  }

  insert(record: JobRecord): Promise<void> {
    return settle(() => {
      try {
        statement(this.db, 'INSERT INTO jobs (workspace, name, compute_name, experiment_name, status, node_id, created_at, doc, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
          .run(record.workspace, record.name, record.computeName, record.experimentName, record.status, record.nodeId ?? null, record.createdAt, JSON.stringify(record), record.version);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new HangarError('NameConflict', `A job named '${record.name}' already exists in workspace '${record.workspace}'.`, 'name');
        }
        throw err;
      }
      return Promise.resolve();
    });
  }

  update(record: JobRecord): Promise<void> {
    return settle(() => {
      const r = statement(this.db, 'UPDATE jobs SET status = ?, node_id = ?, doc = ?, version = ? WHERE workspace = ? AND name = ? AND version = ?')
        .run(record.status, record.nodeId ?? null, JSON.stringify(record), record.version, record.workspace, record.name, record.version - 1);
      if (r.changes === 0) throw new HangarError('Conflict', `Job '${record.name}' was changed concurrently; read it again and retry.`, record.name);
      return Promise.resolve();
    });
  }

  nextQueueSeq(): Promise<number> {
    const row = statement(this.db, "INSERT INTO counters (name, value) VALUES ('queue_seq', 1) ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value")
      .get() as { value: number };
    return Promise.resolve(row.value);
  }
}
