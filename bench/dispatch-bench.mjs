// npm run bench:dispatch — how fast Hangar turns a submitted job into a running process on a warm
// node, and how many tiny jobs it completes per second, against spawning the same command
// directly (the floor any job runner pays) measured in the same run.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox } from '../dist/agent/sandbox.js';
import { api, percentile, startServer, table } from './bench-server.mjs';

const latencyJobs = Number(process.env.BENCH_LATENCY_JOBS ?? 30);
const throughputJobs = Number(process.env.BENCH_THROUGHPUT_JOBS ?? 1000);
const nodes = 2;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const jobs = '/api/workspaces/default/jobs';
const terminal = new Set(['Completed', 'Failed', 'Canceled']);

async function waitFor(check, what, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function warmCluster(url) {
  const body = {
    properties: {
      computeType: 'AmlCompute',
      properties: {
        vmSize: 'STANDARD_D2_V2',
        scaleSettings: { minNodeCount: nodes, maxNodeCount: nodes, nodeIdleTimeBeforeScaleDown: 'PT600S' },
      },
    },
  };
  const res = await api(url, 'PUT', '/api/workspaces/default/computes/bench', body);
  if (res.status >= 300) throw new Error(JSON.stringify(res.body));
  await waitFor(async () => {
    const c = (await api(url, 'GET', '/api/workspaces/default/computes/bench')).body;
    return c.properties.properties?.nodeStateCounts?.idleNodeCount === nodes;
  }, `${nodes} idle nodes`);
}

async function submit(url, name) {
  const res = await api(url, 'PUT', `${jobs}/${name}`, {
    spec: { command: 'true', compute: 'azureml:bench' },
  });
  if (res.status >= 300) throw new Error(JSON.stringify(res.body));
}

async function finished(url, name) {
  return waitFor(async () => {
    const j = (await api(url, 'GET', `${jobs}/${name}`)).body;
    return terminal.has(j.properties.status) ? j : undefined;
  }, `job ${name}`);
}

/** One job at a time on a warm node: submit → Running (the command starts) and submit → Completed. */
async function measureLatency(url) {
  const toRunning = [];
  const toDone = [];
  for (let i = 0; i < latencyJobs; i++) {
    const t0 = Date.now();
    await submit(url, `lat${i}`);
    const job = await finished(url, `lat${i}`);
    if (job.properties.status !== 'Completed')
      throw new Error(`lat${i} ${job.properties.status}: ${job.properties.error?.message}`);
    toRunning.push(Date.parse(job.properties.startTime) - t0);
    toDone.push(Date.parse(job.properties.endTime) - t0);
  }
  return { toRunning: toRunning.sort((a, b) => a - b), toDone: toDone.sort((a, b) => a - b) };
}

async function measureThroughput(url) {
  const t0 = Date.now();
  await Promise.all(Array.from({ length: throughputJobs }, (_, i) => submit(url, `tp${i}`)));
  const ends = [];
  for (let i = 0; i < throughputJobs; i++) {
    const job = await finished(url, `tp${i}`);
    if (job.properties.status !== 'Completed') throw new Error(`tp${i} ${job.properties.status}`);
    ends.push(Date.parse(job.properties.endTime));
  }
  return throughputJobs / ((Math.max(...ends) - t0) / 1000);
}

/**
 * The same command spawned directly, `nodes` at a time, in its own process group as the agent does;
 * `wrap` puts it in the job sandbox first.
 */
async function directSpawnRate(wrap = (file, args) => ({ file, args })) {
  const t0 = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < throughputJobs) {
      next++;
      const { file, args } = wrap('/bin/bash', ['-c', 'true']);
      await new Promise((resolve, reject) =>
        spawn(file, args, { detached: true, stdio: 'ignore' })
          .once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${file} exited ${code}`))))
          .once('error', reject),
      );
    }
  };
  await Promise.all(Array.from({ length: nodes }, worker));
  return throughputJobs / ((Date.now() - t0) / 1000);
}

/**
 * The floor with the sandbox every job runs in (bubblewrap, as the job user under a root agent):
 * the same command in the sandbox the agent builds, spawned directly. Undefined without one.
 */
async function sandboxedSpawnRate() {
  const root = mkdtempSync(join(tmpdir(), 'hangar-bench-sandbox-'));
  try {
    const attempt = join(root, 'node', 'jobs', 'j', '1');
    mkdirSync(attempt, { recursive: true, mode: 0o755 });
    const sandbox = createSandbox({ protect: [join(root, 'node')], path: process.env.PATH });
    if (sandbox.kind !== 'bubblewrap' || sandbox.problem) return undefined;
    return await directSpawnRate((file, args) =>
      sandbox.wrap(file, args, { readWrite: [attempt], readOnly: [], cwd: attempt }),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const server = await startServer();
try {
  console.log(
    `Hangar dispatch benchmark: real server and ${nodes} local agent nodes (HANGAR_HOME ${server.home})`,
  );
  await warmCluster(server.url);
  const lat = await measureLatency(server.url);
  const direct = await directSpawnRate();
  const sandboxed = await sandboxedSpawnRate();
  const rate = await measureThroughput(server.url);
  console.log(`\n${latencyJobs} jobs one after another on a warm node ('true', no code):`);
  table([
    {
      measure: 'submit -> Running',
      'p50 ms': percentile(lat.toRunning, 50),
      'p99 ms': percentile(lat.toRunning, 99),
      'max ms': lat.toRunning.at(-1),
    },
    {
      measure: 'submit -> Completed',
      'p50 ms': percentile(lat.toDone, 50),
      'p99 ms': percentile(lat.toDone, 99),
      'max ms': lat.toDone.at(-1),
    },
  ]);
  console.log(`\n${throughputJobs} jobs submitted at once to ${nodes} nodes (1 slot each):`);
  table([
    { runner: 'direct spawn (baseline)', 'jobs/s': direct.toFixed(1), 'x baseline': '1.00' },
    ...(sandboxed
      ? [
          {
            runner: 'direct spawn in the job sandbox',
            'jobs/s': sandboxed.toFixed(1),
            'x baseline': (sandboxed / direct).toFixed(3),
          },
        ]
      : []),
    { runner: 'Hangar', 'jobs/s': rate.toFixed(1), 'x baseline': (rate / direct).toFixed(3) },
  ]);
  if (sandboxed) console.log(`Hangar / sandboxed direct spawn: ${(rate / sandboxed).toFixed(3)}`);
} finally {
  await api(server.url, 'DELETE', '/api/workspaces/default/computes/bench').catch(() => undefined);
  await waitFor(
    async () => (await api(server.url, 'GET', '/api/workspaces/default/computes/bench')).status === 404,
    'the cluster to go',
    60_000,
  ).catch(() => undefined);
  await server.stop();
}
