import { createServer, connect, type Server, type Socket } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCluster, waitForEnd, waitForJob } from '../helpers/job-fixtures.js';
import { freePort, postgresAvailable, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { tempDir, waitFor } from '../helpers/processes.js';
import {
  adminToken,
  api,
  killNodes,
  startServerProcess,
  type ServerProcess,
} from '../helpers/server-process.js';

/**
 * A TCP load balancer for the test: each connection goes to the next live backend (round robin),
 * or to the one it is pinned to. Agents reach the servers only through it (advertiseUrl), as they
 * would through a real balancer in front of the replicas.
 */
async function startBalancer(): Promise<{
  url: string;
  backends: number[];
  pin(port: number | undefined): void;
  close(): Promise<void>;
}> {
  const backends: number[] = [];
  let pinned: number | undefined;
  let next = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    const tryBackend = (left: number): void => {
      const port = pinned ?? backends[next++ % backends.length];
      if (port === undefined || left === 0) return void client.destroy();
      const upstream = connect(port, '127.0.0.1');
      let connected = false;
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.once('connect', () => {
        connected = true;
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      // A dead backend (refused): the next one, as a balancer's health check would.
      upstream.on('error', () => {
        if (!connected) tryBackend(left - 1);
        else client.destroy();
      });
    };
    tryBackend(4);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${port}`,
    backends,
    pin: (p) => (pinned = p),
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

const portOf = (url: string): number => Number(new URL(url).port);
const ws = '/api/workspaces/default';

let pgServer: PostgresServer;
let databaseUrl: string;
let lb: Awaited<ReturnType<typeof startBalancer>>;
let home: string;
const replicas: ServerProcess[] = [];

/** Which replica's cluster connection holds the advisory lock of a loop key (from pg_locks). */
async function holderOf(loop: string, key: string): Promise<ServerProcess | undefined> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const row = (
      await c.query<{ application_name: string }>(
        `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::oid
            AND l.objid = (hashtext($2)::bigint & 4294967295)::oid`,
        [0x4c4f4f50, `${loop} ${key}`],
      )
    ).rows[0];
    const pid = Number(/pid=(\d+)/.exec(row?.application_name ?? '')?.[1]);
    return replicas.find((r) => r.child.pid === pid);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  if (!postgresAvailable) return;
  pgServer = await startPostgres();
  // With a password (trust auth ignores it): no replica may print it.
  databaseUrl = (await pgServer.createDatabase('replicas')).replace('hangar@', 'hangar:pw-never-shown@');
  lb = await startBalancer();
  // One HANGAR_HOME for the three (the secret key, the nodes' folders), as replicas on one machine
  // or on a shared file system have; blobs and logs in a second shared folder (storage.*).
  home = tempDir('hangar-replicas-');
  const shared = tempDir('hangar-shared-');
  mkdirSync(join(shared, 'blobs'));
  const config = {
    reconcileIntervalMs: 200,
    advertiseUrl: lb.url,
    jobs: { heartbeatIntervalMs: 300, nodeNotRespondingAfterMs: 5000 },
    storage: { blobDir: join(shared, 'blobs'), logDir: join(shared, 'logs') },
  };
  // Started one after the other only because they share server.json (the helper reads the URL there).
  for (let i = 0; i < 3; i++) {
    const r = await startServerProcess({ home, config, env: { HANGAR_DATABASE_URL: databaseUrl } });
    replicas.push(r);
    lb.backends.push(portOf(r.url));
  }
}, 120_000);

afterAll(async () => {
  for (const r of replicas) await r.stop();
  if (home) killNodes(home);
  await lb?.close();
  await pgServer?.stop();
}, 60_000);

describe.skipIf(!postgresAvailable)('three server replicas on one PostgreSQL database', () => {
  it('logs its database with the password hidden, and every replica answers the API', async () => {
    for (const r of replicas) {
      expect(r.output()).toContain('hangar server listening');
      expect(r.output()).toContain('hangar:***@127.0.0.1');
      expect(r.output()).not.toContain('pw-never-shown');
      expect((await api(r.url, 'GET', `${ws}`)).status).toBe(200);
    }
  });

  it('jobs submitted round-robin to the three complete exactly once, their logs readable through any replica', async () => {
    await createCluster(replicas[0]!.url, 'pool', 0, 2);
    const names = Array.from({ length: 6 }, (_, i) => `rr-${i}`);
    for (const [i, name] of names.entries()) {
      const r = await api(replicas[i % 3]!.url, 'PUT', `${ws}/jobs/${name}`, {
        spec: { command: `echo ran ${name}`, compute: 'pool' },
      });
      expect(r.status).toBe(201);
    }
    for (const [i, name] of names.entries()) {
      const done = await waitForEnd(replicas[(i + 1) % 3]!.url, name, 90_000);
      expect(done.properties.status).toBe('Completed');
      expect(done.properties.attempts).toHaveLength(1);
      // Read through a third replica: logs live in the shared log folder.
      const log = await fetch(`${replicas[(i + 2) % 3]!.url}${ws}/jobs/${name}/logs`, {
        headers: { authorization: `Bearer ${adminToken(replicas[0]!.url) ?? ''}` },
      });
      const text = await log.text();
      expect(text.split('\n').filter((l) => l === `ran ${name}`)).toHaveLength(1);
    }
  }, 120_000);

  it('kill -9 of the replica holding a cluster while it scales: the others take the key and reach the target with no duplicate node', async () => {
    await createCluster(replicas[1]!.url, 'grow', 0, 3);
    const owner = await waitFor(
      () => holderOf('node-pool', 'compute/default/grow'),
      'a replica to hold grow',
    );
    const survivor = replicas.find((r) => r !== owner)!;
    const grown = await api(survivor.url, 'PATCH', `${ws}/computes/grow`, {
      properties: { properties: { scaleSettings: { minNodeCount: 3, maxNodeCount: 3 } } },
    });
    expect(grown.status).toBeLessThan(300);
    await owner.kill9();
    lb.backends.splice(lb.backends.indexOf(portOf(owner.url)), 1);
    const killedAt = Date.now();
    const next = await waitFor(
      async () => {
        const h = await holderOf('node-pool', 'compute/default/grow');
        return h && h !== owner ? h : undefined;
      },
      'another replica to take the cluster',
      15_000,
    );
    console.log(`cluster key moved from the killed replica in ${Date.now() - killedAt} ms`);
    expect(next).not.toBe(owner);
    const nodes = async (): Promise<{ nodeId: string; nodeState: string }[]> =>
      (await api(survivor.url, 'GET', `${ws}/computes/grow/nodes`)).body.value;
    await waitFor(
      async () => {
        const n = await nodes();
        return n.length === 3 && n.every((x) => x.nodeState === 'idle');
      },
      'three idle nodes',
      60_000,
    );
    // Still three a few passes later: no replica started a fourth.
    await new Promise((r) => setTimeout(r, 1500));
    const after = await nodes();
    expect(after).toHaveLength(3);
    expect(new Set(after.map((n) => n.nodeId)).size).toBe(3);
  }, 120_000);

  it('an agent long-polling replica A is woken by a job submitted to replica B', async () => {
    const alive = replicas.filter((r) => r.child.exitCode === null && r.child.signalCode === null);
    const [a, b] = alive as [ServerProcess, ServerProcess];
    lb.pin(portOf(a.url));
    await createCluster(a.url, 'wake', 1, 1);
    await waitFor(
      async () =>
        ((await api(a.url, 'GET', `${ws}/computes/wake/nodes`)).body.value as { nodeState: string }[]).some(
          (n) => n.nodeState === 'idle',
        ),
      'the idle node of wake',
      60_000,
    );
    const submittedAt = Date.now();
    expect(
      (await api(b.url, 'PUT', `${ws}/jobs/woken`, { spec: { command: 'echo woken', compute: 'wake' } }))
        .status,
    ).toBe(201);
    await waitForJob(b.url, 'woken', (j) => j.properties.status !== 'Queued', 'to leave the queue', 30_000);
    console.log(`submit on B → picked up by the agent polling A in ${Date.now() - submittedAt} ms`);
    expect((await waitForEnd(b.url, 'woken')).properties.status).toBe('Completed');
    lb.pin(undefined);
  }, 120_000);
});
