import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { SerialQueue } from '../../store/postgres/pg-db.js';
import type { KeyOwnership } from '../loops/loop-runner.js';
import type { ClusterBus, ClusterMessage } from './cluster-bus.js';

/** The NOTIFY channel replicas talk on. */
const channel = 'hangar_cluster';
/** The first half of every loop-key advisory lock (the second is hashtext of loop and key). */
const lockSpace = 0x4c4f4f50; // 'LOOP'
/** Serialises first-start work (default workspace, bootstrap admin) across replicas. */
const startupLock = 0x53545254; // 'STRT'

/**
 * Replicas on one PostgreSQL database, through one dedicated connection per replica:
 *
 * - Key ownership: session advisory locks, `pg_try_advisory_lock(space, hashtext(loop key))`. The
 *   database grants each lock to one session; a replica that dies (kill -9, lost machine) loses its
 *   connection and with it every lock, and the next pass of another replica claims the keys. No
 *   clock is compared. When this connection breaks, this replica forgets every key at once and
 *   claims nothing until it reconnects.
 * - Wake-ups: LISTEN/NOTIFY on one channel, each message tagged with its sender so it is not
 *   delivered back.
 */
export class PgCluster implements KeyOwnership, ClusterBus {
  readonly id = randomUUID();
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private readonly held = new Map<string, Set<string>>();
  private readonly handlers: ((m: ClusterMessage) => void)[] = [];
  private closed = false;
  /** Loops claim concurrently; their statements take turns on the one connection. */
  private readonly queue = new SerialQueue();

  constructor(
    private readonly url: string,
    private readonly onProblem: (message: string, err: unknown) => void = () => undefined,
  ) {}

  /** Connects and LISTENs; a start that cannot reach the database fails here, loudly. */
  async start(): Promise<void> {
    await this.connection();
  }

  private connection(): Promise<pg.Client> {
    if (this.closed) return Promise.reject(new Error('the cluster connection is closed'));
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      // Named so an operator (or a test) sees in pg_stat_activity which process holds which loop keys.
      const client = new pg.Client({
        connectionString: this.url,
        application_name: `hangar-cluster pid=${process.pid}`,
      });
      const lost = (err?: unknown): void => {
        if (this.client !== client) return;
        this.client = undefined;
        // The database released every lock of that session: none of them is ours any more.
        this.held.clear();
        if (!this.closed) this.onProblem('lost the cluster connection; loop keys are released', err);
      };
      client.on('error', lost);
      client.on('end', () => lost());
      client.on('notification', (n) => this.deliver(n.payload));
      try {
        await client.connect();
        await client.query(`LISTEN ${channel}`);
      } catch (err) {
        await client.end().catch(() => undefined);
        throw err;
      }
      this.client = client;
      return client;
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  async claim(loop: string, keys: readonly string[]): Promise<ReadonlySet<string>> {
    const client = await this.connection();
    const mine = this.held.get(loop) ?? new Set<string>();
    this.held.set(loop, mine);
    const wanted = new Set(keys);
    const gone = [...mine].filter((k) => !wanted.has(k));
    const fresh = keys.filter((k) => !mine.has(k));
    const name = (k: string): string => `${loop} ${k}`;
    if (gone.length > 0) {
      await this.q(client, 'SELECT pg_advisory_unlock($1, hashtext(k)) FROM unnest($2::text[]) AS k', [
        lockSpace,
        gone.map(name),
      ]);
      for (const k of gone) mine.delete(k);
    }
    if (fresh.length > 0) {
      const rows = (
        await this.q<{ i: number; got: boolean }>(
          client,
          'SELECT i::int, pg_try_advisory_lock($1, hashtext(k)) AS got FROM unnest($2::text[]) WITH ORDINALITY AS t(k, i)',
          [lockSpace, fresh.map(name)],
        )
      ).rows;
      // The connection may have dropped meanwhile: then nothing is held, whatever the rows said.
      if (this.client !== client) return new Set();
      for (const r of rows) if (r.got) mine.add(fresh[r.i - 1] as string);
    }
    return new Set(mine);
  }

  private q<R extends pg.QueryResultRow = pg.QueryResultRow>(
    client: pg.Client,
    sql: string,
    params: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return this.queue.run(() => client.query<R>(sql, params));
  }

  /** Runs `fn` holding a session advisory lock that every replica takes for the same purpose. */
  async serially<T>(fn: () => Promise<T>): Promise<T> {
    const client = await this.connection();
    await this.q(client, 'SELECT pg_advisory_lock($1, 0)', [startupLock]);
    try {
      return await fn();
    } finally {
      await this.q(client, 'SELECT pg_advisory_unlock($1, 0)', [startupLock]).catch(() => undefined);
    }
  }

  publish(message: ClusterMessage): void {
    const client = this.client;
    if (!client) return; // a lost wake-up costs one loop interval (the store holds the facts)
    this.q(client, 'SELECT pg_notify($1, $2)', [
      channel,
      JSON.stringify({ from: this.id, ...message }),
    ]).catch((err: unknown) => this.onProblem('could not notify the other replicas', err));
  }

  subscribe(handler: (message: ClusterMessage) => void): void {
    this.handlers.push(handler);
  }

  private deliver(payload: string | undefined): void {
    if (!payload) return;
    let m: ClusterMessage & { from?: string };
    try {
      m = JSON.parse(payload) as ClusterMessage & { from?: string };
    } catch {
      return;
    }
    if (m.from === this.id) return;
    for (const h of this.handlers) h(m);
  }

  /** Closes the connection: every key this replica held is free for the others at once. */
  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    this.held.clear();
    await client?.end().catch(() => undefined);
  }
}
