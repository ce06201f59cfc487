import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';

/** A query runner: the pool, or the one client of the transaction in progress. */
export type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Every store transaction takes this transaction-scoped advisory lock first, so transactions run
 * one at a time across all replicas, as SQLite's BEGIN IMMEDIATE runs them in one process: a plan
 * that reads, decides and writes (quota, gang placement) never interleaves with another. Single
 * statements outside transactions still run concurrently, guarded by version checks.
 */
const transactionLockKey = 0x48414e47; // 'HANG'

/**
 * Runs calls on one connection one after another: pg queues them itself today, but concurrent
 * client.query calls are deprecated (pg 9 drops them), and a transaction's plan may use Promise.all.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** Hides the password of a postgres:// URL (for logs and errors). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

/**
 * The pool and the transaction context: queries made inside `transaction` (at any depth of awaits)
 * run on its client, found through AsyncLocalStorage; others take any pooled connection.
 */
export class PgDb {
  readonly pool: pg.Pool;
  private readonly current = new AsyncLocalStorage<{ client: pg.PoolClient; queue: SerialQueue }>();

  constructor(
    readonly url: string,
    poolSize = 10,
  ) {
    this.pool = new pg.Pool({ connectionString: url, max: poolSize });
    // An idle pooled connection that dies (database restart) is dropped and replaced, never fatal.
    this.pool.on('error', () => undefined);
  }

  /** Runs one statement in the transaction in progress, or on the pool. */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params: unknown[] = [],
  ): Promise<pg.QueryResult<R>> {
    const tx = this.current.getStore();
    return tx ? tx.queue.run(() => tx.client.query<R>(sql, params)) : this.pool.query<R>(sql, params);
  }

  async rows<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await this.query<R>(sql, params)).rows;
  }

  async one<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R | undefined> {
    return (await this.query<R>(sql, params)).rows[0];
  }

  get inTransaction(): boolean {
    return this.current.getStore() !== undefined;
  }

  /**
   * BEGIN … COMMIT on one client; a throw rolls back; nested calls join the outer one. `serial`
   * false: a single-row read-modify-write that its row lock (FOR UPDATE) guards enough.
   */
  async transaction<T>(fn: () => Promise<T>, serial = true): Promise<T> {
    if (this.current.getStore()) return fn();
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      if (serial) await client.query('SELECT pg_advisory_xact_lock($1)', [transactionLockKey]);
      const result = await this.current.run({ client, queue: new SerialQueue() }, fn);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
