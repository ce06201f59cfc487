import type Database from 'better-sqlite3';
import { HangarError } from '../../domain/errors/hangar-error.js';
import { terminalStates, unfinishedStates, type JobRecord } from '../../domain/jobs/job-record.js';
import { snapshotIdsOf } from '../../domain/snapshots/snapshot-refs.js';
import type { JobDemand, JobFilter, JobRepository, Page, PageRequest } from '../store.js';
import { deepFreeze } from './frozen.js';
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
/**
 * Parsed documents kept (bounded) so loops that re-read the active jobs every pass skip JSON.parse
 * and reading the documents at all: large enough for 100,000 queued jobs, whose every pass reads them all.
 */
const cacheLimit = 150_000;

/** The test of `JobFilter.family` on a row (the document is read only for rows the other terms keep). */
const familySql =
  "(json_extract(doc, '$.controller') IS NOT NULL OR json_extract(doc, '$.parentJobName') IS NOT NULL)";

const isFamily = (j: Pick<JobRecord, 'controller' | 'parentJobName'>): boolean =>
  j.controller !== undefined || j.parentJobName !== undefined;

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
  if (f.family) parts.push(familySql);
  return { sql: parts.length > 0 ? parts.join(' AND ') : '1 = 1', args };
}

/** What a filter of all() looks at. */
interface Matchable {
  workspace: string;
  computeName: string;
  experimentName: string;
  status: JobRecord['status'];
  nodeId?: string | undefined;
  family: boolean;
}

interface StoredColumns {
  workspace: string;
  name: string;
  compute_name: string;
  experiment_name: string;
  status: JobRecord['status'];
  node_id: string | null;
  created_at: string;
  family: number;
}

function fromColumns(c: StoredColumns): Matchable {
  return {
    workspace: c.workspace,
    computeName: c.compute_name,
    experimentName: c.experiment_name,
    status: c.status,
    nodeId: c.node_id ?? undefined,
    family: c.family !== 0,
  };
}

/** A job's place in all()'s answers (ORDER BY created_at, name). */
type KeyRow = Omit<Row, 'doc' | 'version'>;

const ascii = (k: KeyRow): boolean => /^[\x20-\x7e]*$/.test(`${k.created_at}${k.name}${k.workspace}`);

/** Index of the first key not before `k` in keys sorted by (created_at, name), or -1 when tied with another workspace's job. */
function placeOf(keys: readonly KeyRow[], k: KeyRow): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const m = keys[mid];
    if (m && (m.created_at < k.created_at || (m.created_at === k.created_at && m.name < k.name)))
      lo = mid + 1;
    else hi = mid;
  }
  const next = keys[lo];
  // Same time and name in another workspace: SQLite's order between them is not defined.
  if (next && next.created_at === k.created_at && next.name === k.name && next.workspace !== k.workspace)
    return -1;
  return lo;
}

/** Whether a job is in the answer of all(f): the same test as where(f), in memory. */
function matches(f: JobFilter, j: Matchable): boolean {
  return (
    (f.workspace === undefined || f.workspace === j.workspace) &&
    (f.computeName === undefined || f.computeName === j.computeName) &&
    (f.experimentName === undefined || f.experimentName === j.experimentName) &&
    (f.nodeId === undefined || f.nodeId === j.nodeId) &&
    (f.statuses === undefined || f.statuses.length === 0 || f.statuses.includes(j.status)) &&
    (f.family === undefined || j.family)
  );
}

/** Jobs as JSON documents with the columns queries need. */
export class SqliteJobs implements JobRepository {
  private readonly parsed = new Map<string, { version: number; createdAt: string; record: JobRecord }>();
  /** PRAGMA data_version when the cache was last checked: it changes when another connection commits. */
  private dataVersion: number | undefined;
  /**
   * Which jobs all() answers for a filter, in order, until a write changes which jobs match it:
   * every loop pass reads the active jobs, and a query over 100,000 rows costs more than the
   * pass itself. The documents come from `parsed`, which writes keep current.
   */
  private readonly results = new Map<
    string,
    {
      filter: JobFilter;
      keys: KeyRow[];
      /**
       * The documents of `keys`, until a write touches one of them: passes re-read unchanged queues.
       * Frozen once all() handed them out: the next write patches a copy (callers keep what they read
       * as their snapshot, and a copy per read was 800 KB of garbage at 100,000 jobs).
       */
      records?: JobRecord[] | undefined;
    }
  >();

  /**
   * demand()'s answer, kept current by this connection's writes (from the record each replaces)
   * and counted again after forget(): the node pool asks every pass, and counting means reading
   * every queued job. Busy nodes are counted per node so that a job leaving one keeps the others'.
   */
  private demandCounts: { byCompute: Map<string, number>; busy: Map<string, number> } | undefined;
  /** demand()'s last answer (copies of the counts), until a write counts: a set of 10,000 busy nodes per pass is garbage. */
  private demandAnswer: JobDemand | undefined;

  constructor(private readonly db: Database.Database) {}

  /** Forgets every parsed document (a rolled-back transaction may have left some that were never committed). */
  forget(): void {
    this.parsed.clear();
    this.results.clear();
    this.demandCounts = undefined;
  }

  /** Adds (sign 1) or takes away (-1) one job's part of the demand counts. */
  private countDemand(job: JobRecord, sign: 1 | -1): void {
    const counts = this.demandCounts;
    if (!counts || terminalStates.has(job.status)) return;
    this.demandAnswer = undefined;
    const add = (m: Map<string, number>, key: string, n: number): void => {
      const v = (m.get(key) ?? 0) + sign * n;
      if (v === 0) m.delete(key);
      else m.set(key, v);
    };
    if (job.nodeId) add(counts.busy, job.nodeId, 1);
    if (job.gang?.parent !== undefined || job.controller) return;
    add(counts.byCompute, `${job.workspace}/${job.computeName}`, job.run.instanceCount);
  }

  demand(): Promise<JobDemand> {
    this.cacheCurrent();
    if (!this.demandCounts) {
      this.demandCounts = { byCompute: new Map(), busy: new Map() };
      this.demandAnswer = undefined;
      for (const job of this.records({ statuses: [...unfinishedStates] })) this.countDemand(job, 1);
    }
    return Promise.resolve(
      (this.demandAnswer ??= {
        byCompute: new Map(this.demandCounts.byCompute),
        busyNodes: new Set(this.demandCounts.busy.keys()),
      }),
    );
  }

  /** Drops the cached answers of all() that a job going from `before` to `after` changes. */
  private changed(
    before: Matchable | undefined,
    after: Matchable | undefined,
    row: KeyRow,
    written?: JobRecord,
  ): void {
    for (const [key, entry] of this.results) {
      const { filter, keys } = entry;
      const was = before !== undefined && matches(filter, before);
      const now = after !== undefined && matches(filter, after);
      if (!was && !now) continue;
      // The job joins or leaves the answer at its place in the query's order; where that place
      // is not certain (names outside ASCII sort differently in SQLite and JavaScript), asked again.
      const at = ascii(row) ? placeOf(keys, row) : -1;
      const there = at >= 0 && keys[at]?.workspace === row.workspace && keys[at]?.name === row.name;
      // The documents follow the keys (one array each, same order) when the written record is
      // known: a pass that re-reads 100,000 queued jobs after a few writes then copies, not rebuilds.
      const current = written && entry.records?.length === keys.length ? entry.records : undefined;
      const records = current && Object.isFrozen(current) ? current.slice() : current;
      entry.records = undefined;
      if (was && now) {
        if (there && records) (entry.records = records)[at] = written as JobRecord;
      } else if (at >= 0 && now) {
        keys.splice(at, 0, row);
        if (records) (entry.records = records).splice(at, 0, written as JobRecord);
      } else if (there) {
        keys.splice(at, 1);
        if (records) (entry.records = records).splice(at, 1);
      } else this.results.delete(key);
    }
  }

  /**
   * Whether cached documents still match the rows without reading them: this connection's own
   * writes drop their entries (insert, update), and a commit by another connection (another
   * process on the same file) drops them all.
   */
  private cacheCurrent(): void {
    const v = statement(this.db, 'PRAGMA data_version').pluck().get() as number;
    if (this.dataVersion !== v) this.forget();
    this.dataVersion = v;
  }

  /**
   * The record of a row, parsed once per version. Records are shared and deeply frozen: callers
   * write changes as new records (as every transition does), never by mutating one they read.
   */
  private readonly parse = (row: Row): JobRecord => {
    const key = `${row.workspace}\0${row.name}`;
    const hit = this.parsed.get(key);
    if (hit && hit.version === row.version && hit.createdAt === row.created_at) return hit.record;
    const record = deepFreeze(JSON.parse(row.doc) as JobRecord);
    this.remember(key, { version: row.version, createdAt: row.created_at, record });
    return record;
  };

  /** Keeps a parsed record; when full, the oldest entries go (a Map iterates in insertion order), not all at once. */
  private remember(key: string, entry: { version: number; createdAt: string; record: JobRecord }): void {
    if (this.parsed.size >= cacheLimit) {
      let drop = Math.ceil(cacheLimit / 10);
      for (const k of this.parsed.keys()) {
        if (drop-- <= 0) break;
        this.parsed.delete(k);
      }
    }
    this.parsed.delete(key);
    this.parsed.set(key, entry);
  }

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
    // Lists show what users submitted: the ranks of a multi-node job, a sweep's trials and a pipeline's
    // steps stay out of them, in the query so that every page is full and the token walks them all.
    const rows = statement(
      this.db,
      `SELECT ${columns} FROM jobs WHERE ${w.sql} AND gang_parent IS NULL AND json_extract(doc, '$.parentJobName') IS NULL${cursor} ORDER BY created_at DESC, name DESC LIMIT ?`,
    ).all(...w.args, ...cursorArgs, page.top + 1) as Row[];
    return Promise.resolve(toPage(rows, page, (r) => [r.created_at, r.name], this.parse));
  }

  all(filter: JobFilter): Promise<readonly JobRecord[]> {
    this.cacheCurrent();
    return Promise.resolve(this.records(filter, true));
  }

  /**
   * all()'s answer, shared with the cache; `handOut` freezes it, so that writes patch a copy from
   * then on (the caller's stays as it was).
   */
  private records(filter: JobFilter, handOut = false): readonly JobRecord[] {
    const w = where(filter);
    // Keys first, documents only for jobs not parsed yet: loops re-read the same active jobs
    // every pass, and copying their documents out of SQLite would cost more than the query. The
    // keys are the columns stored before the document (version comes after it: reading it would
    // walk each row's document), and the cache is kept current by writes (see cacheCurrent).
    const sql = `SELECT workspace, name, created_at FROM jobs WHERE ${w.sql} ORDER BY created_at, name`;
    const resultKey = `${sql}\0${JSON.stringify(w.args)}`;
    let entry = this.results.get(resultKey);
    if (entry?.records) return handOut ? Object.freeze(entry.records) : entry.records;
    if (!entry) {
      const rows = statement(this.db, sql).all(...w.args) as Omit<Row, 'doc' | 'version'>[];
      // One node's jobs (asked per lease, heartbeat and report of thousands of nodes) are a short
      // index read: kept, they would push the queue's answers out of the cache at every 64th node.
      if (filter.nodeId !== undefined) return this.documents(rows);
      if (this.results.size >= 64) this.results.clear();
      this.results.set(resultKey, (entry = { filter: { ...filter }, keys: rows }));
    }
    entry.records = this.documents(entry.keys);
    return handOut ? Object.freeze(entry.records) : entry.records;
  }

  /** The documents of rows found by key, parsed ones from the cache; rows deleted since are left out. */
  private documents(keys: readonly KeyRow[]): JobRecord[] {
    const docOf = statement(this.db, 'SELECT version, doc FROM jobs WHERE workspace = ? AND name = ?');
    // One array, filled in one walk (at 100,000 jobs each array is 800 KB of garbage later).
    const records: JobRecord[] = [];
    for (const k of keys) {
      const hit = this.parsed.get(`${k.workspace}\0${k.name}`);
      if (hit && hit.createdAt === k.created_at) records.push(hit.record);
      else {
        const row = docOf.get(k.workspace, k.name) as { version: number; doc: string } | undefined;
        if (row) records.push(this.parse({ ...k, ...row }));
      }
    }
    return records;
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
      const key = `${record.workspace}\0${record.name}`;
      this.parsed.delete(key);
      const doc = JSON.stringify(record);
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
          doc,
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
      // The new job joins the cached answers it matches, with its document: the next pass over the
      // queue then copies the cached documents instead of looking up every key again. A copy of
      // its own, as a read would parse it (the caller keeps the object it passed).
      const written = deepFreeze(JSON.parse(doc) as JobRecord);
      this.remember(key, { version: record.version, createdAt: record.createdAt, record: written });
      this.countDemand(record, 1);
      this.changed(
        undefined,
        { ...record, family: isFamily(record) },
        {
          workspace: record.workspace,
          name: record.name,
          created_at: record.createdAt,
        },
        written,
      );
      return Promise.resolve();
    });
  }

  update(record: JobRecord): Promise<JobRecord> {
    return settle(() => {
      const written = { ...record, version: record.version + 1 };
      const doc = JSON.stringify(written);
      const key = `${record.workspace}\0${record.name}`;
      // The record this write replaces, when parsed: its part of the demand counts goes.
      const replaced = this.parsed.get(key);
      this.parsed.delete(key);
      const before = statement(
        this.db,
        `SELECT workspace, name, compute_name, experiment_name, status, node_id, created_at, ${familySql} AS family FROM jobs WHERE workspace = ? AND name = ?`,
      ).get(record.workspace, record.name) as StoredColumns | undefined;
      const r = statement(
        this.db,
        'UPDATE jobs SET status = ?, node_id = ?, doc = ?, version = ? WHERE workspace = ? AND name = ? AND version = ?',
      ).run(
        record.status,
        record.nodeId ?? null,
        doc,
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
      if (before) {
        // Parsed back, as a read would parse it: records of one layout share one object shape, and the
        // loops' walks over 100,000 of them stay fast (spread copies have shapes of their own).
        const frozen = deepFreeze(JSON.parse(doc) as JobRecord);
        // The update writes status and node only: the other columns stay as stored.
        this.changed(
          fromColumns(before),
          {
            ...fromColumns(before),
            status: written.status,
            nodeId: written.nodeId ?? undefined,
            family: isFamily(written),
          },
          { workspace: before.workspace, name: before.name, created_at: before.created_at },
          frozen,
        );
        if (replaced?.version === record.version && replaced.createdAt === before.created_at) {
          this.countDemand(replaced.record, -1);
          this.countDemand(written, 1);
        } else this.demandCounts = undefined;
        // Records are shared and frozen (see parse): the one written is the one the next read answers.
        this.parsed.set(key, {
          version: written.version,
          createdAt: before.created_at,
          record: frozen,
        });
        return frozen;
      }
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
