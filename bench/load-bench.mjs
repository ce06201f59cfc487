// npm run bench:load — a server under load: 100 clients submitting `true` jobs as fast as they
// can for BENCH_SECONDS (2 warm nodes run them meanwhile), while one client checks /api/health
// every 20 ms. Figures: accepted submits/s, submit p50/p99, health p99; the baseline is the same
// server idle, measured in the same run (one client submitting, one checking health).
import { Agent, request } from 'node:http';
import { Worker } from 'node:worker_threads';
import { api, authHeaders, percentile, startServer, table } from './bench-server.mjs';

const seconds = Number(process.env.BENCH_SECONDS ?? 30);
const clients = Number(process.env.BENCH_CLIENTS ?? 100);
const nodes = Number(process.env.BENCH_NODES ?? 2);
const idleSamples = Number(process.env.BENCH_IDLE_SAMPLES ?? 200);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const jobs = '/api/workspaces/default/jobs';
const agent = new Agent({ keepAlive: true, maxSockets: clients + 8 });

/** One HTTP request on a kept-alive socket; answers status and milliseconds (no JSON parse: the client stays cheap). */
function timed(url, method, path, body, headers = {}) {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request(
      `${url}${path}`,
      {
        method,
        agent,
        headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t0 }));
      },
    );
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }));
    req.end(body);
  });
}

async function until(check, what, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function warmCluster(url) {
  const res = await api(url, 'PUT', '/api/workspaces/default/computes/load', {
    properties: {
      computeType: 'AmlCompute',
      properties: {
        vmSize: 'STANDARD_D2_V2',
        scaleSettings: { minNodeCount: nodes, maxNodeCount: nodes, nodeIdleTimeBeforeScaleDown: 'PT600S' },
      },
    },
  });
  if (res.status >= 300) throw new Error(JSON.stringify(res.body));
  await until(
    async () =>
      (await api(url, 'GET', '/api/workspaces/default/computes/load')).body.properties.properties
        ?.nodeStateCounts?.idleNodeCount === nodes,
    `${nodes} idle nodes`,
  );
}

const jobBody = JSON.stringify({ spec: { command: 'true', compute: 'azureml:load' } });
let seq = 0;
const submit = (url) => timed(url, 'PUT', `${jobs}/load${seq++}`, jobBody, authHeaders(url));
const health = (url) => timed(url, 'GET', '/api/health');

function summary(name, samples, wallS) {
  const ok = samples.filter((s) => s.status >= 200 && s.status < 300);
  const ms = ok.map((s) => s.ms).sort((a, b) => a - b);
  return {
    case: name,
    requests: samples.length,
    'ok/s': wallS ? (ok.length / wallS).toFixed(1) : '',
    'p50 ms': percentile(ms, 50)?.toFixed(1),
    'p99 ms': percentile(ms, 99)?.toFixed(1),
    'max ms': ms.at(-1)?.toFixed(1),
    errors: samples.length - ok.length,
  };
}

/** Health every 20 ms until `done()`. */
async function healthProbe(url, done) {
  const out = [];
  while (!done()) {
    out.push(await health(url));
    await sleep(20);
  }
  return out;
}

/**
 * The same probe in a thread of its own: the in-process probe shares the event loop of the 100
 * clients, so its figure holds this process's own delay in reading answers as well as the server's.
 */
function healthProbeThread(url, ms) {
  const code = `
    const { request } = require('node:http');
    const { parentPort, workerData } = require('node:worker_threads');
    const agent = new (require('node:http').Agent)({ keepAlive: true });
    const out = [];
    const end = performance.now() + workerData.ms;
    const once = () => new Promise((resolve) => {
      const t0 = performance.now();
      const req = request(workerData.url + '/api/health', { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t0 }));
      });
      req.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }));
      req.end();
    });
    (async () => {
      while (performance.now() < end) {
        out.push(await once());
        await new Promise((r) => setTimeout(r, 20));
      }
      agent.destroy();
      parentPort.postMessage(out);
    })();
  `;
  const worker = new Worker(code, { eval: true, workerData: { url, ms } });
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

const server = await startServer(process.env.BENCH_CONFIG ?? '');
try {
  console.log(
    `Hangar load benchmark: ${clients} clients submitting for ${seconds} s, ${nodes} warm nodes (HANGAR_HOME ${server.home})`,
  );
  await warmCluster(server.url);
  // Baseline: the same server idle — one client submitting, one probing health.
  const idleSubmits = [];
  const t0 = performance.now();
  for (let i = 0; i < idleSamples; i++) idleSubmits.push(await submit(server.url));
  const idleSubmitS = (performance.now() - t0) / 1000;
  await until(
    async () =>
      (await api(server.url, 'GET', `${jobs}/load${idleSamples - 1}`)).body?.properties?.status ===
      'Completed',
    'the idle-phase jobs to finish',
    300_000,
  ).catch(() => undefined);
  const idleHealth = [];
  for (let i = 0; i < idleSamples; i++) idleHealth.push(await health(server.url));

  // Load: every client submits back to back until the time is up.
  let stop = false;
  const probe = healthProbe(server.url, () => stop);
  const probeThread = healthProbeThread(server.url, seconds * 1000);
  const loaded = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() - started < seconds * 1000) loaded.push(await submit(server.url));
    }),
  );
  const wall = (performance.now() - started) / 1000;
  stop = true;
  const loadedHealth = await probe;
  const threadHealth = await probeThread;
  console.log();
  table([
    summary('submit, 1 client, idle server (baseline)', idleSubmits, idleSubmitS),
    summary(`submit, ${clients} clients`, loaded, wall),
    summary('health, idle server (baseline)', idleHealth),
    summary(`health, during the ${clients}-client load (probe among the clients)`, loadedHealth),
    summary(`health, during the ${clients}-client load (probe in its own thread)`, threadHealth),
  ]);
  const ok = loaded.filter((s) => s.status >= 200 && s.status < 300).length;
  const p99 = percentile(
    loaded.map((s) => s.ms).sort((a, b) => a - b),
    99,
  );
  const hp99 = percentile(
    threadHealth.map((s) => s.ms).sort((a, b) => a - b),
    99,
  );
  console.log(
    `\naccepted ${(ok / wall).toFixed(1)}/s; submit p99 ${p99.toFixed(0)} ms (goal ≤ 250); health p99 ${hp99.toFixed(1)} ms from its own thread (goal ≤ 20); goal ≥ 300 accepted/s.`,
  );
} finally {
  agent.destroy();
  await server.stop();
}
