// npm run bench:slurm — Hangar on the Slurm provider against raw sbatch, measured in the same run on
// the same real single-host Slurm cluster (scripts/slurm-cluster.sh): submit → start latency, from
// zero nodes (an allocation per job) and on warm nodes, and the time to finish a batch of tiny jobs.
// The cold row is split into phases from the compute's events: submit → NodeProvisioned (the pool's
// decision; sbatch follows), → NodeRegistered (Slurm starting the allocation at its next scheduling
// pass, then the agent starting and registering), → Running.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { api, percentile, startServer, table } from './bench-server.mjs';

const root = resolve(import.meta.dirname, '..');
const runs = Number(process.env.BENCH_SLURM_RUNS ?? 10);
const batch = Number(process.env.BENCH_SLURM_BATCH ?? 40);
// Cold starts land anywhere in Slurm's 1 s scheduling cycle: more of them steady the median.
const coldRuns = Number(process.env.BENCH_SLURM_COLD_RUNS ?? Math.min(runs, 5));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const jobs = '/api/workspaces/default/jobs';

async function until(check, what, timeoutMs = 120_000, everyMs = 10) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Raw sbatch: submit a script that writes a marker when it starts; time until the marker exists. */
async function rawLatency(env, dir, n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const marker = join(dir, `raw-${i}`);
    const t0 = Date.now();
    execFileSync('sbatch', ['--parsable', '-p', 'debug', '-o', '/dev/null', '--wrap', `touch ${marker}`], {
      env,
    });
    await until(() => existsSync(marker), 'the raw job to start');
    out.push(Date.now() - t0);
  }
  return out.sort((a, b) => a - b);
}

async function rawBatch(env, dir, n) {
  const t0 = Date.now();
  for (let i = 0; i < n; i++)
    execFileSync(
      'sbatch',
      ['--parsable', '-p', 'debug', '-o', '/dev/null', '--wrap', `touch ${join(dir, `batch-${i}`)}`],
      { env },
    );
  await until(
    () => [...Array(n).keys()].every((i) => existsSync(join(dir, `batch-${i}`))),
    'the raw batch',
    300_000,
    50,
  );
  return Date.now() - t0;
}

async function hangarLatency(url, prefix, n, between, submits = []) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const t0 = Date.now();
    const res = await api(url, 'PUT', `${jobs}/${prefix}${i}`, {
      spec: { command: 'true', compute: 'azureml:hpc' },
    });
    if (res.status >= 300) throw new Error(JSON.stringify(res.body));
    const job = await until(
      async () => {
        const j = (await api(url, 'GET', `${jobs}/${prefix}${i}`)).body;
        return ['Completed', 'Failed'].includes(j.properties.status) ? j : undefined;
      },
      'a job',
      120_000,
      20,
    );
    if (job.properties.status !== 'Completed') throw new Error(`${prefix}${i}: ${job.properties.status}`);
    out.push(Date.parse(job.properties.startTime) - t0);
    submits.push({ t0, start: Date.parse(job.properties.startTime) });
    await between();
  }
  return out.sort((a, b) => a - b);
}

/** Each cold job's phases (ms), from the node it started: the first one provisioned after its submit. */
async function coldPhases(url, submits) {
  const events = (await api(url, 'GET', '/api/workspaces/default/computes/hpc/events?$top=1000')).body.value;
  const at = (reason, pred) => events.find((e) => e.reason === reason && pred(e));
  const rows = [];
  for (const { t0, start } of submits) {
    const provisioned = events
      .filter((e) => e.reason === 'NodeProvisioned' && Date.parse(e.at) >= t0 - 5)
      .sort((a, b) => Date.parse(a.at) - Date.parse(b.at))[0];
    const node = provisioned?.message.match(/node (\S+) \(/)?.[1];
    const registered = node && at('NodeRegistered', (e) => e.message.includes(`Node ${node} `));
    if (!registered) continue;
    rows.push({
      decide: Date.parse(provisioned.at) - t0,
      register: Date.parse(registered.at) - Date.parse(provisioned.at),
      run: start - Date.parse(registered.at),
    });
  }
  const med = (k) =>
    percentile(
      rows.map((r) => r[k]).sort((a, b) => a - b),
      50,
    );
  return { decide: med('decide'), register: med('register'), run: med('run') };
}

async function hangarBatch(url, n) {
  const t0 = Date.now();
  for (let i = 0; i < n; i++)
    await api(url, 'PUT', `${jobs}/b${i}`, { spec: { command: 'true', compute: 'azureml:hpc' } });
  await until(
    async () => {
      const page = (await api(url, 'GET', `${jobs}?$top=1000`)).body.value;
      return page.filter((j) => j.name.startsWith('b') && j.properties.status === 'Completed').length >= n;
    },
    'the Hangar batch',
    300_000,
    100,
  );
  return Date.now() - t0;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-slurm-bench-'));
  const conf = execFileSync(
    'bash',
    [join(root, 'scripts', 'slurm-cluster.sh'), 'start', join(dir, 'slurm'), '4'],
    { encoding: 'utf8' },
  ).trim();
  const env = { ...process.env, SLURM_CONF: conf };
  const server = await startServer('reconcileIntervalMs: 100\njobs:\n  heartbeatIntervalMs: 300\n');
  try {
    console.log(`Hangar Slurm benchmark: real slurmctld + 4 slurmd (${conf}), server ${server.url}`);
    const body = {
      properties: {
        computeType: 'Slurm',
        properties: {
          partition: 'debug',
          slurmConf: conf,
          scaleSettings: { minNodeCount: 0, maxNodeCount: 4, nodeIdleTimeBeforeScaleDown: 'PT600S' },
        },
      },
    };
    const put = await api(server.url, 'PUT', '/api/workspaces/default/computes/hpc', body);
    if (put.status >= 300) throw new Error(JSON.stringify(put.body));
    const raw = await rawLatency(env, dir, runs);
    // Cold: each job needs a fresh allocation (the node is released between jobs by scaling to zero).
    const coldSubmits = [];
    const cold = await hangarLatency(
      server.url,
      'cold',
      coldRuns,
      async () => {
        await api(server.url, 'PATCH', '/api/workspaces/default/computes/hpc', {
          properties: { properties: { scaleSettings: { nodeIdleTimeBeforeScaleDown: 'PT1S' } } },
        });
        await until(
          async () =>
            (await api(server.url, 'GET', '/api/workspaces/default/computes/hpc')).body.properties.properties
              .currentNodeCount === 0,
          'scale to zero',
          60_000,
          100,
        );
      },
      coldSubmits,
    );
    const phases = await coldPhases(server.url, coldSubmits);
    await api(server.url, 'PATCH', '/api/workspaces/default/computes/hpc', {
      properties: { properties: { scaleSettings: { nodeIdleTimeBeforeScaleDown: 'PT600S' } } },
    });
    const warm = await hangarLatency(server.url, 'warm', runs, async () => undefined);
    const rawAll = await rawBatch(env, dir, batch);
    const hangarAll = await hangarBatch(server.url, batch);
    const med = (xs) => percentile(xs, 50);
    table([
      {
        runner: 'raw sbatch → start (baseline)',
        'p50 ms': med(raw),
        'p90 ms': percentile(raw, 90),
        'x baseline': '1.00',
      },
      {
        runner: 'Hangar submit → Running, cold (new allocation)',
        'p50 ms': med(cold),
        'p90 ms': percentile(cold, 90),
        'x baseline': (med(cold) / med(raw)).toFixed(2),
      },
      {
        runner: 'Hangar submit → Running, warm node',
        'p50 ms': med(warm),
        'p90 ms': percentile(warm, 90),
        'x baseline': (med(warm) / med(raw)).toFixed(2),
      },
    ]);
    console.log(
      `cold phases (p50 ms): submit → provisioning ${phases.decide}, → agent registered ${phases.register} (sbatch, Slurm's next pass, agent start), → Running ${phases.run}`,
    );
    table([
      {
        runner: `raw sbatch, ${batch} tiny jobs (baseline)`,
        seconds: (rawAll / 1000).toFixed(1),
        'jobs/s': (batch / (rawAll / 1000)).toFixed(1),
        'x baseline': '1.00',
      },
      {
        runner: `Hangar on Slurm (≤ 4 allocations), ${batch} tiny jobs`,
        seconds: (hangarAll / 1000).toFixed(1),
        'jobs/s': (batch / (hangarAll / 1000)).toFixed(1),
        'x baseline': (rawAll / hangarAll).toFixed(2),
      },
    ]);
  } finally {
    await api(server.url, 'DELETE', '/api/workspaces/default/computes/hpc').catch(() => undefined);
    await sleep(2000);
    await server.stop();
    try {
      execFileSync('scancel', ['-u', 'root'], { env });
    } catch {
      /* none */
    }
    execFileSync('bash', [join(root, 'scripts', 'slurm-cluster.sh'), 'stop', join(dir, 'slurm')]);
  }
}

await main();
