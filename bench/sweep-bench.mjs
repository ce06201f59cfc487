// npm run bench:sweep — scheduling overhead per sweep trial: a sweep of N `true` trials against the
// same N jobs submitted directly (same server, same warm nodes, same concurrency), in the same run.
// Overhead per trial = (sweep wall time − direct wall time) / N.
import { api, startServer, table } from './bench-server.mjs';

const trials = Number(process.env.BENCH_SWEEP_TRIALS ?? 200);
const nodes = Number(process.env.BENCH_SWEEP_NODES ?? 2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const jobs = '/api/workspaces/default/jobs';
const terminal = new Set(['Completed', 'Failed', 'Canceled']);

async function waitFor(check, what, timeoutMs = 1_800_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function warmCluster(url) {
  const res = await api(url, 'PUT', '/api/workspaces/default/computes/bench', {
    properties: {
      computeType: 'AmlCompute',
      properties: {
        vmSize: 'STANDARD_D2_V2',
        scaleSettings: { minNodeCount: nodes, maxNodeCount: nodes, nodeIdleTimeBeforeScaleDown: 'PT600S' },
      },
    },
  });
  if (res.status >= 300) throw new Error(JSON.stringify(res.body));
  await waitFor(async () => {
    const c = (await api(url, 'GET', '/api/workspaces/default/computes/bench')).body;
    return c.properties.properties?.nodeStateCounts?.idleNodeCount === nodes;
  }, `${nodes} idle nodes`);
}

/** N direct jobs, all submitted at once (the nodes bound concurrency). */
async function direct(url) {
  const started = performance.now();
  for (let i = 0; i < trials; i++) {
    const r = await api(url, 'PUT', `${jobs}/direct-${i}`, {
      spec: { command: 'true', compute: 'azureml:bench' },
    });
    if (r.status >= 300) throw new Error(JSON.stringify(r.body));
  }
  // Done when no direct job is left unfinished (nothing else runs during this phase).
  await waitFor(async () => {
    const page = (await api(url, 'GET', `${jobs}?status=NotStarted,Queued,Preparing,Running,Finalizing`))
      .body;
    return (page.value ?? []).length === 0;
  }, 'the direct jobs');
  return (performance.now() - started) / 1000;
}

/** One sweep of N `true` trials, as many concurrent as there are nodes. */
async function sweep(url) {
  const started = performance.now();
  const r = await api(url, 'PUT', `${jobs}/bench-sweep`, {
    spec: {
      type: 'sweep',
      compute: 'azureml:bench',
      sampling_algorithm: 'random',
      search_space: { x: { type: 'uniform', min_value: 0, max_value: 1 } },
      objective: { primary_metric: 'acc', goal: 'maximize' },
      trial: { command: 'true # ${{search_space.x}}' },
      limits: { max_total_trials: trials, max_concurrent_trials: nodes },
    },
  });
  if (r.status >= 300) throw new Error(JSON.stringify(r.body));
  const done = await waitFor(async () => {
    const j = (await api(url, 'GET', `${jobs}/bench-sweep`)).body;
    return terminal.has(j.properties.status) ? j : undefined;
  }, 'the sweep');
  const seconds = (performance.now() - started) / 1000;
  if (done.properties.sweep.trialsLaunched !== trials)
    throw new Error(`the sweep launched ${done.properties.sweep.trialsLaunched} trials, not ${trials}`);
  return seconds;
}

const server = await startServer('reconcileIntervalMs: 200\njobs:\n  heartbeatIntervalMs: 300\n');
try {
  await warmCluster(server.url);
  // Same concurrency on both sides: direct jobs are bounded by the nodes, the sweep by max_concurrent_trials = nodes.
  const directS = await direct(server.url);
  const sweepS = await sweep(server.url);
  table([
    {
      run: `${trials} jobs submitted directly (baseline)`,
      seconds: directS.toFixed(2),
      perJobMs: ((directS * 1000) / trials).toFixed(1),
    },
    {
      run: `sweep of ${trials} trials`,
      seconds: sweepS.toFixed(2),
      perJobMs: ((sweepS * 1000) / trials).toFixed(1),
    },
  ]);
  console.log(
    `\nsweep overhead per trial: ${(((sweepS - directS) * 1000) / trials).toFixed(1)} ms (${nodes} nodes, ${trials} trials of \`true\`)`,
  );
} finally {
  await server.stop();
}
