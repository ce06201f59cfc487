// npm run bench:control-plane — the server at control-plane scale: BENCH_AGENTS (10,000) simulated
// agents speaking the real agent protocol (register, heartbeat, lease, status reports over HTTP,
// the agent's own client) and BENCH_JOBS (100,000) queued jobs. The server is the real one in its
// own process; only its local provider is replaced (bench/sim-provider.mjs) so a node is a
// simulated agent in this process rather than a `hangar agent` process. Figures: the server's RSS
// (now and peak), how long placing the first job on every node took, and the scheduler's pass
// time at steady state (from /metrics); the baseline is the same server before the load (idle
// pass time, RSS) measured in the same run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AgentClient } from '../dist/agent/agent-client.js';
import { version } from '../dist/server/version.js';
import { api, authHeaders, startServer, table } from './bench-server.mjs';

const agents = Number(process.env.BENCH_AGENTS ?? 10_000);
const queuedJobs = Number(process.env.BENCH_JOBS ?? 100_000);
const steadySeconds = Number(process.env.BENCH_STEADY_SECONDS ?? 30);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const capacity = { cores: 2, memoryMB: 4096, gpus: [], containerRuntime: null, defaultPython: 'python3' };

/** A node: the agent's protocol and nothing else (jobs "run" until the benchmark ends). */
class SimAgent {
  running = new Map();
  stopped = false;
  constructor({ nodeId, token, server, slots }) {
    this.nodeId = nodeId;
    this.token = token;
    this.slots = slots;
    this.client = new AgentClient(
      server,
      () => this.stopped,
      () => undefined,
    );
  }

  async start() {
    const s = await this.client.register({
      nodeToken: this.token,
      hostname: `sim-${this.nodeId}`,
      pid: process.pid,
      agentVersion: version,
      capacity,
      address: '127.0.0.1',
    });
    this.client.sessionToken = s.sessionToken;
    this.session = s;
    void this.heartbeats();
    void this.leases();
  }

  async heartbeats() {
    while (!this.stopped) {
      // Spread out, as independent machines are.
      await sleep(this.session.heartbeatIntervalMs * (0.5 + Math.random()));
      if (this.stopped) return;
      const running = [...this.running].map(([jobId, attempt]) => ({ jobId, attempt, state: 'running' }));
      const answer = await this.client.heartbeat({ running }).catch(() => undefined);
      for (const s of answer?.stop ?? []) {
        const attempt = this.running.get(s.jobId);
        if (attempt === undefined) continue;
        this.running.delete(s.jobId);
        await this.client
          .reportStatus(s.jobId, { attempt, phase: 'Canceled', at: new Date().toISOString(), exitCode: 143 })
          .catch(() => undefined);
      }
      if (answer?.shutdown) this.stopped = true;
    }
  }

  async leases() {
    while (!this.stopped) {
      const free = this.slots - this.running.size;
      if (free <= 0) return; // jobs hold their slot until the end: nothing more to lease
      const lease = await this.client
        .lease({ freeSlots: free }, (this.session.leaseWaitSeconds + 15) * 1000)
        .catch(() => undefined);
      if (!lease) {
        await sleep(1000);
        continue;
      }
      for (const a of lease.assignments) {
        this.running.set(a.jobId, a.attempt);
        placed.push(performance.now());
        for (const phase of ['Preparing', 'Running'])
          await this.client
            .reportStatus(a.jobId, { attempt: a.attempt, phase, at: new Date().toISOString() })
            .catch(() => undefined);
        reported++;
      }
    }
  }
}

const sims = new Map();
const placed = [];
/** Jobs whose Preparing and Running reports were answered. */
let reported = 0;
let registered = 0;
let release;
const released = new Promise((r) => (release = r));
function onMessage(m) {
  if (m.type === 'provision') {
    const known = sims.get(m.nodeId);
    if (known) {
      known.token = m.token; // provisioned again before it registered
      return;
    }
    const sim = new SimAgent(m);
    sims.set(m.nodeId, sim);
    // Registration waits until the queue is seeded, so every node starts with a full queue.
    void released
      .then(() => sim.start())
      .then(() => registered++)
      .catch((err) => console.error(`node ${m.nodeId}: ${err.message}`));
  } else if (m.type === 'terminate') {
    const sim = sims.get(m.nodeId);
    if (sim) sim.stopped = true;
    sims.delete(m.nodeId);
  }
}

async function until(check, what, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

function rssOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
}

/** Scheduler passes so far: count and total seconds (the server's /metrics histogram). */
async function schedulerPasses(url) {
  // A busy server answers late: the scrape waits rather than failing the run.
  let text;
  for (let i = 0; text === undefined; i++) {
    text = await fetch(`${url}/metrics`, { headers: authHeaders(url), signal: AbortSignal.timeout(120_000) })
      .then((r) => r.text())
      .catch((err) => {
        if (i >= 5) throw err;
        return undefined;
      });
  }
  const value = (suffix) =>
    Number(
      new RegExp(
        `hangar_reconcile_pass_duration_seconds_${suffix}\\{[^}]*loop="scheduler"[^}]*\\} ([0-9.e+-]+)`,
      ).exec(text)?.[1] ?? 0,
    );
  return { count: value('count'), sum: value('sum') };
}

async function passTime(url, seconds) {
  const a = await schedulerPasses(url);
  await sleep(seconds * 1000);
  const b = await schedulerPasses(url);
  const passes = b.count - a.count;
  return { passes, meanMs: passes > 0 ? ((b.sum - a.sum) / passes) * 1000 : NaN };
}

/** The queue: one job submitted through the API, then copied (new name, next queue place) straight into SQLite. */
function seedQueue(home, template, count) {
  const db = new Database(join(home, 'hangar.db'));
  db.pragma('busy_timeout = 10000');
  const row = db.prepare('SELECT * FROM jobs WHERE workspace = ? AND name = ?').get('default', template);
  const doc = JSON.parse(row.doc);
  const insert = db.prepare(
    'INSERT INTO jobs (workspace, name, compute_name, experiment_name, status, node_id, created_at, doc, version, gang_parent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const seq = db
    .prepare(
      "INSERT INTO counters (name, value) VALUES ('queue_seq', ?) ON CONFLICT (name) DO UPDATE SET value = value + ? RETURNING value",
    )
    .pluck();
  db.transaction(() => {
    const last = seq.get(count, count);
    for (let i = 0; i < count; i++) {
      const name = `cp${i}`;
      const copy = { ...doc, name, displayName: name, queueSeq: last - count + 1 + i };
      if (copy.id) copy.id = String(copy.id).replace(template, name);
      insert.run(
        row.workspace,
        name,
        row.compute_name,
        row.experiment_name,
        row.status,
        null,
        row.created_at,
        JSON.stringify(copy),
        row.version,
        null,
      );
    }
  })();
  db.close();
}

// Heartbeats as a large fleet would send them (every 30 s, spread out), with silence limits above
// their interval: a node is not responding only when it really stopped.
const config = `jobs:
  heartbeatIntervalMs: 30000
  nodeNotRespondingAfterMs: 120000
  nodeLostAfterMs: 600000
  leaseWaitSeconds: 60
locations:
  - name: local
    quota:
      defaultDedicatedCoresPerFamily: 100000000
      lowPriorityCores: 100000000
`;
const progress = setInterval(
  () =>
    console.error(
      `  … ${sims.size} nodes provisioned, ${registered} registered, ${placed.length} jobs started`,
    ),
  10_000,
);
progress.unref();
const server = await startServer(config, {
  execArgv: ['--import', new URL('./sim-provider.mjs', import.meta.url).href],
  onMessage,
});
try {
  console.log(
    `Hangar control-plane benchmark: ${agents} simulated agents, ${queuedJobs} queued jobs (server pid ${server.child.pid}, HANGAR_HOME ${server.home})`,
  );
  const idlePass = await passTime(server.url, 5);
  const idleRss = rssOf(server.child.pid);
  const res = await api(server.url, 'PUT', '/api/workspaces/default/computes/sim', {
    properties: {
      computeType: 'AmlCompute',
      properties: {
        vmSize: 'STANDARD_D2_V2',
        scaleSettings: { minNodeCount: agents, maxNodeCount: agents, nodeIdleTimeBeforeScaleDown: 'PT3600S' },
      },
    },
  });
  if (res.status >= 300) throw new Error(JSON.stringify(res.body));
  const t0 = performance.now();
  await until(() => sims.size >= agents, `${agents} nodes provisioned`, 600_000);
  const provisionS = (performance.now() - t0) / 1000;
  const job = await api(server.url, 'PUT', '/api/workspaces/default/jobs/cp-template', {
    spec: { command: 'true', compute: 'azureml:sim' },
  });
  if (job.status >= 300) throw new Error(JSON.stringify(job.body));
  const t1 = performance.now();
  seedQueue(server.home, 'cp-template', queuedJobs - 1);
  const seedS = (performance.now() - t1) / 1000;
  const t2 = performance.now();
  release();
  // Every node busy (or, should a few nodes have been replaced, no progress for 2 minutes).
  let last = 0;
  let lastAt = performance.now();
  await until(
    () => {
      if (placed.length > last) [last, lastAt] = [placed.length, performance.now()];
      return placed.length >= agents || performance.now() - lastAt > 120_000;
    },
    `a job on each of ${agents} nodes`,
    900_000,
  );
  const fillS = ((placed.at(-1) ?? performance.now()) - t2) / 1000;
  const fillRss = rssOf(server.child.pid);
  // Steady state begins once the last placements' status reports have landed (up to a minute).
  await until(() => reported >= placed.length, 'the status reports of the placed jobs', 60_000).catch(
    () => undefined,
  );
  const steady = await passTime(server.url, steadySeconds);
  const steadyRss = rssOf(server.child.pid);
  const health = [];
  for (let i = 0; i < 50; i++) {
    const h0 = performance.now();
    await fetch(`${server.url}/api/health`).catch(() => undefined);
    health.push(performance.now() - h0);
    await sleep(20);
  }
  health.sort((a, b) => a - b);
  console.log();
  table([
    {
      state: 'idle server (baseline)',
      'RSS MB': idleRss.rssMB.toFixed(0),
      'peak RSS MB': idleRss.peakMB.toFixed(0),
      'scheduler passes': idlePass.passes,
      'mean pass ms': idlePass.meanMs.toFixed(2),
    },
    {
      state: `${agents} nodes filled, ${queuedJobs - agents} still queued`,
      'RSS MB': fillRss.rssMB.toFixed(0),
      'peak RSS MB': fillRss.peakMB.toFixed(0),
      'scheduler passes': '',
      'mean pass ms': '',
    },
    {
      state: `steady state, ${steadySeconds} s`,
      'RSS MB': steadyRss.rssMB.toFixed(0),
      'peak RSS MB': steadyRss.peakMB.toFixed(0),
      'scheduler passes': steady.passes,
      'mean pass ms': steady.meanMs.toFixed(1),
    },
  ]);
  console.log(
    `\nprovisioned ${agents} nodes in ${provisionS.toFixed(1)} s; seeded ${queuedJobs} jobs in ${seedS.toFixed(1)} s; registered ${registered}; ${placed.length} nodes got a job, the last ${fillS.toFixed(1)} s after release (${(placed.length / fillS).toFixed(0)} placements+starts/s).`,
  );
  console.log(
    `health during steady state: p50 ${health[24].toFixed(1)} ms, p99 ${health[49].toFixed(1)} ms. Goals: peak RSS ≤ 1024 MB, scheduler pass ≤ 100 ms.`,
  );
} finally {
  for (const sim of sims.values()) {
    sim.stopped = true;
    sim.client.abort();
  }
  await server.stop();
}
