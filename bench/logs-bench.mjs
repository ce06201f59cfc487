// npm run bench:logs — end-to-end log latency: a job prints its clock every 20 ms; the time from
// print to arrival at a client following the live stream (agent → server → SSE), against the
// same script's lines read straight from its stdout pipe (the floor), measured in the same run.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { HangarClient } from '../dist/sdk/index.js';
import { api, authHeaders, percentile, startServer, table } from './bench-server.mjs';

const lines = Number(process.env.BENCH_LOG_LINES ?? 250);
const script = `import time\nfor i in range(${lines}):\n    print(f"tick {time.time():.6f}", flush=True)\n    time.sleep(0.02)\n`;
const lagOf = (line) => {
  const m = /^tick (\d+\.\d+)$/.exec(line.trim());
  return m ? Date.now() - Number(m[1]) * 1000 : undefined;
};

async function directPipe() {
  const child = spawn('/usr/bin/python3', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lags = [];
  for await (const line of createInterface({ input: child.stdout })) {
    const lag = lagOf(line);
    if (lag !== undefined) lags.push(lag);
  }
  return lags;
}

async function throughHangar(url) {
  const body = {
    properties: {
      computeType: 'AmlCompute',
      properties: {
        vmSize: 'STANDARD_D2_V2',
        scaleSettings: { minNodeCount: 1, maxNodeCount: 1, nodeIdleTimeBeforeScaleDown: 'PT600S' },
      },
    },
  };
  await api(url, 'PUT', '/api/workspaces/default/computes/logs', body);
  for (;;) {
    const c = (await api(url, 'GET', '/api/workspaces/default/computes/logs')).body;
    if (c.properties.properties?.nodeStateCounts?.idleNodeCount === 1) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const client = new HangarClient({
    url,
    workspace: 'default',
    token: authHeaders(url).authorization?.slice(7),
  });
  const res = await api(url, 'PUT', '/api/workspaces/default/jobs/ticks', {
    spec: { command: `python3 -c '${script.replace(/'/g, "'\\''")}'`, compute: 'logs' },
  });
  if (res.status >= 300) throw new Error(JSON.stringify(res.body));
  const lags = [];
  let pending = '';
  for await (const e of client.jobs.stream('ticks')) {
    if (e.event !== 'log') continue;
    pending += String(e.data.text ?? '');
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) {
      const lag = lagOf(line);
      if (lag !== undefined) lags.push(lag);
    }
  }
  await api(url, 'DELETE', '/api/workspaces/default/computes/logs');
  for (
    let i = 0;
    i < 100 && (await api(url, 'GET', '/api/workspaces/default/computes/logs')).status !== 404;
    i++
  )
    await new Promise((r) => setTimeout(r, 200));
  return lags;
}

const server = await startServer();
try {
  console.log(`Hangar log latency benchmark: ${lines} lines, one every 20 ms, followed live over SSE`);
  const direct = (await directPipe()).sort((a, b) => a - b);
  const hangar = (await throughHangar(server.url)).sort((a, b) => a - b);
  const row = (path, lags) => ({
    path,
    lines: lags.length,
    'p50 ms': percentile(lags, 50).toFixed(1),
    'p99 ms': percentile(lags, 99).toFixed(1),
    'max ms': lags.at(-1).toFixed(1),
  });
  table([row('stdout pipe (baseline)', direct), row('job -> agent -> server -> SSE client', hangar)]);
  console.log(
    `\np50 over the baseline: +${(percentile(hangar, 50) - percentile(direct, 50)).toFixed(1)} ms; target: under 100 ms end to end.`,
  );
} finally {
  await server.stop();
}
