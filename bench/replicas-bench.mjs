// npm run bench:replicas — API throughput and submit→Running latency with one and three server
// replicas on PostgreSQL, against one server on SQLite (the baseline), all in the same run.
// PostgreSQL is Debian's (/usr/lib/postgresql/15/bin), started here in a temp folder on a free port.
import { execFileSync, spawn } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { table } from './bench-server.mjs';

const cli = resolve(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const bin = '/usr/lib/postgresql/15/bin';
const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const jobsPerRun = Number(process.env.BENCH_JOBS ?? 8);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const base = '/api/workspaces/default';

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** PostgreSQL refuses root: as root it runs as the `postgres` user (setpriv execs in place). */
const asPostgres = (cmd, args) =>
  process.getuid() === 0
    ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', cmd, ...args]]
    : [cmd, args];

async function startPostgres() {
  const root = mkdtempSync(join(tmpdir(), 'hangar-bench-pg-'));
  const own = (d) => {
    if (process.getuid() !== 0) return;
    chownSync(
      d,
      Number(execFileSync('id', ['-u', 'postgres'])),
      Number(execFileSync('id', ['-g', 'postgres'])),
    );
  };
  own(root);
  const [ic, ia] = asPostgres(join(bin, 'initdb'), [
    '-D',
    join(root, 'data'),
    '-U',
    'hangar',
    '--auth=trust',
    '--no-sync',
  ]);
  execFileSync(ic, ia, { stdio: 'ignore' });
  mkdirSync(join(root, 'sock'));
  own(join(root, 'sock'));
  const port = await freePort();
  // Durable settings (fsync on): the figures should be what a real deployment sees.
  const [c, a] = asPostgres(join(bin, 'postgres'), [
    '-D',
    join(root, 'data'),
    '-p',
    String(port),
    '-k',
    join(root, 'sock'),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'max_connections=200',
  ]);
  const child = spawn(c, a, { stdio: 'ignore' });
  const url = `postgres://hangar@127.0.0.1:${port}/postgres`;
  for (let i = 0; ; i++) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      break;
    } catch {
      if (i > 300) throw new Error('PostgreSQL did not start');
      await sleep(100);
    }
  }
  let n = 0;
  return {
    async database() {
      const name = `bench_${++n}`;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`CREATE DATABASE ${name}`);
      await client.end();
      return `postgres://hangar@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      child.kill('SIGINT');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** `count` servers on one HANGAR_HOME (and one database when `databaseUrl` is given), started one by one. */
async function startReplicas(count, databaseUrl) {
  const home = mkdtempSync(join(tmpdir(), 'hangar-bench-replicas-'));
  writeFileSync(join(home, 'config.yaml'), 'reconcileIntervalMs: 1000\njobs:\n  heartbeatIntervalMs: 1000\n');
  const servers = [];
  for (let i = 0; i < count; i++) {
    rmSync(join(home, 'server.json'), { force: true });
    const child = spawn(process.execPath, [cli, 'server', '--port', '0', '--home', home], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        HANGAR_LOG_LEVEL: 'warn',
        ...(databaseUrl ? { HANGAR_DATABASE_URL: databaseUrl } : {}),
      },
    });
    for (const deadline = Date.now() + 30_000; ;) {
      if (existsSync(join(home, 'server.json'))) {
        const { url } = JSON.parse(readFileSync(join(home, 'server.json'), 'utf8'));
        if ((await fetch(`${url}/api/health`).catch(() => undefined))?.ok) {
          servers.push({ url, child });
          break;
        }
      }
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('a server did not start');
      await sleep(100);
    }
  }
  const token = JSON.parse(readFileSync(join(home, 'admin-credentials.json'), 'utf8')).token;
  return {
    servers,
    token,
    async stop() {
      for (const s of servers) {
        s.child.kill('SIGTERM');
        await new Promise((r) => (s.child.exitCode !== null ? r() : s.child.once('exit', r)));
      }
      const nodes = join(home, 'nodes');
      for (const id of existsSync(nodes) ? readdirSync(nodes) : [])
        for (const file of ['agent.pid', 'job-pgids']) {
          const path = join(nodes, id, file);
          if (!existsSync(path)) continue;
          for (const pid of readFileSync(path, 'utf8')
            .split('\n')
            .map(Number)
            .filter((x) => x > 1))
            try {
              process.kill(-pid, 'SIGKILL');
            } catch {
              /* gone */
            }
        }
    },
  };
}

async function call(url, token, method, path, body) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Requests per second of one request kind over every replica at once (16 connections in all). */
async function throughput(cluster, request) {
  const per = Math.max(1, Math.floor(16 / cluster.servers.length));
  const results = await Promise.all(
    cluster.servers.map((s) =>
      autocannon({
        url: s.url,
        connections: per,
        duration: seconds,
        requests: [{ ...request, headers: { authorization: `Bearer ${cluster.token}`, ...request.headers } }],
      }),
    ),
  );
  return {
    rps: Math.round(results.reduce((n, r) => n + r.requests.average, 0)),
    p50: Math.max(...results.map((r) => r.latency.p50)),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    errors: results.reduce((n, r) => n + r.errors + r.non2xx, 0),
  };
}

/** Median ms from a job's PUT (201) to the first read showing it past Queued, submitted round-robin. */
async function submitToRunning(cluster, tag) {
  const times = [];
  for (let i = 0; i < jobsPerRun; i++) {
    const s = cluster.servers[i % cluster.servers.length];
    const name = `${tag}-${i}`;
    const t0 = performance.now();
    const put = await call(s.url, cluster.token, 'PUT', `${base}/jobs/${name}`, {
      spec: { command: 'true', compute: 'pool' },
    });
    if (put.status !== 201) throw new Error(`submit failed: ${JSON.stringify(put.body)}`);
    for (;;) {
      const j = await call(s.url, cluster.token, 'GET', `${base}/jobs/${name}`);
      if (!['NotStarted', 'Queued'].includes(j.body.properties.status)) break;
      if (performance.now() - t0 > 60_000) throw new Error(`${name} never left the queue`);
      await sleep(5);
    }
    times.push(performance.now() - t0);
    // The next job waits for the slot: one warm node with one slot per job.
    for (;;) {
      const j = await call(s.url, cluster.token, 'GET', `${base}/jobs/${name}`);
      if (['Completed', 'Failed', 'Canceled'].includes(j.body.properties.status)) break;
      await sleep(20);
    }
  }
  times.sort((a, b) => a - b);
  return {
    median: Math.round(times[Math.floor(times.length / 2)]),
    max: Math.round(times[times.length - 1]),
  };
}

async function measure(label, cluster) {
  const [first] = cluster.servers;
  const created = await call(first.url, cluster.token, 'PUT', `${base}/computes/pool`, {
    properties: {
      computeType: 'AmlCompute',
      properties: {
        vmSize: 'STANDARD_D2_V2',
        scaleSettings: { minNodeCount: 1, maxNodeCount: 1, nodeIdleTimeBeforeScaleDown: 'PT600S' },
      },
    },
  });
  if (created.status >= 300) throw new Error(JSON.stringify(created.body));
  for (let i = 0; i < 50; i++)
    await call(first.url, cluster.token, 'PUT', `${base}/computes/seed${i}`, {
      properties: {
        computeType: 'AmlCompute',
        properties: { vmSize: 'STANDARD_D2_V2', scaleSettings: { minNodeCount: 0, maxNodeCount: 1 } },
      },
    });
  // A warm, idle node first: the latency measured is the control plane's, not an agent's start.
  for (const deadline = Date.now() + 60_000; ;) {
    const nodes = await call(first.url, cluster.token, 'GET', `${base}/computes/pool/nodes`);
    if (nodes.body.value.some((n) => n.nodeState === 'idle')) break;
    if (Date.now() > deadline) throw new Error('no idle node');
    await sleep(100);
  }
  const read = await throughput(cluster, { method: 'GET', path: `${base}/computes/seed7` });
  let n = 0;
  const write = await throughput(cluster, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      tags: { bench: 'yes' },
      properties: {
        computeType: 'AmlCompute',
        properties: { vmSize: 'STANDARD_D2_V2', scaleSettings: { minNodeCount: 0, maxNodeCount: 1 } },
      },
    }),
    setupRequest: (req) => ({ ...req, path: `${base}/computes/w${label.length}x${n++}` }),
  });
  const latency = await submitToRunning(cluster, `lat${label.length}`);
  return {
    setup: label,
    'GET req/s': read.rps,
    'GET p99 ms': read.p99,
    'PUT req/s': write.rps,
    'PUT p99 ms': write.p99,
    'submit→Running median ms': latency.median,
    'max ms': latency.max,
    errors: read.errors + write.errors,
  };
}

async function main() {
  const postgres = await startPostgres();
  const rows = [];
  try {
    for (const [label, count, usePg] of [
      ['SQLite, 1 server (baseline)', 1, false],
      ['PostgreSQL, 1 server', 1, true],
      ['PostgreSQL, 3 replicas', 3, true],
    ]) {
      const cluster = await startReplicas(count, usePg ? await postgres.database() : undefined);
      try {
        rows.push(await measure(label, cluster));
      } finally {
        await cluster.stop();
      }
    }
  } finally {
    await postgres.stop();
  }
  console.log(
    `Hangar replicas benchmark: ${seconds} s per throughput case (16 connections spread over the replicas), ${jobsPerRun} jobs round-robin for submit→Running (one warm node; reconcileIntervalMs 1000), PostgreSQL with fsync on, all on this machine (${(await import('node:os')).cpus().length} CPUs).`,
  );
  table(rows);
}

await main();
