// npm run bench:serve — online endpoints: requests/s and p50/p99 latency through the endpoint
// router (/endpoints/{name}/score, key auth, admission, proxy) against calling the same scoring
// host directly (the baseline), both in this run; and the time from `online-deployment create`
// (CLI started) to the first successful score.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { startServer, table } from './bench-server.mjs';

const cli = resolve(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 4);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** CPU seconds (user + system) a process has used, from /proc (Linux; undefined elsewhere). */
const cpuSeconds = (pid) => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
};

const dir = mkdtempSync(join(tmpdir(), 'hangar-serve-bench-'));
mkdirSync(join(dir, 'code'));
mkdirSync(join(dir, 'model'));
writeFileSync(join(dir, 'model', 'w.json'), '[2.0]');
writeFileSync(
  join(dir, 'code', 'score.py'),
  `import json, os
def init():
    global w
    w = json.load(open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "w.json")))[0]
def run(raw):
    return [w * x for x in json.loads(raw)["data"]]
`,
);
writeFileSync(
  join(dir, 'blue.yml'),
  `name: blue
endpoint_name: bench-ep
model: ./model
code_configuration: { code: ./code, scoring_script: score.py }
environment: azureml:system-python:1
instance_type: Standard_DS3_v2
instance_count: 1
request_settings: { max_concurrent_requests_per_instance: ${connections} }
readiness_probe: { initial_delay: 1, period: 1 }
`,
);

// Replicas run sandboxed as an unprivileged user: give them the system interpreter.
const server = await startServer(
  'environmentAliases:\n  - match: system-python\n    python: /usr/bin/python3\n',
);
const env = { ...process.env, HANGAR_URL: server.url, HANGAR_TOKEN: server.token, HANGAR_HOME: server.home };
const run = (args) => {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`hangar ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
};
try {
  run(['online-endpoint', 'create', '-n', 'bench-ep']);
  const key = JSON.parse(run(['online-endpoint', 'get-credentials', '-n', 'bench-ep'])).primaryKey;
  const body = JSON.stringify({ data: [1, 2, 3] });
  const scoreUrl = `${server.url}/endpoints/bench-ep/score`;
  const headers = {
    authorization: `Bearer ${key}`,
    'content-type': 'application/json',
    'azureml-model-deployment': 'blue',
  };

  // Create → first successful score, with the CLI not waiting (the clock covers upload, resolve, start, init, probe).
  const t0 = performance.now();
  run(['online-deployment', 'create', '-f', 'blue.yml', '--no-wait', '-o', 'none']);
  for (const deadline = Date.now() + 120_000; ;) {
    if (Date.now() > deadline) throw new Error('the deployment never answered a score within 2 minutes');
    const r = await fetch(scoreUrl, { method: 'POST', headers, body }).catch(() => undefined);
    if (r?.status === 200) break;
    await r?.arrayBuffer();
    await sleep(20);
  }
  const firstScoreMs = performance.now() - t0;

  const replicas = join(server.home, 'serving', 'replicas');
  const portFile = readdirSync(replicas)
    .map((d) => join(replicas, d, 'port'))
    .find((p) => existsSync(p));
  const direct = `http://127.0.0.1:${readFileSync(portFile, 'utf8').trim()}/score`;

  const measure = (url, extraHeaders) =>
    autocannon({
      url,
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...extraHeaders },
      connections,
      duration: seconds,
    });
  const baseline = await measure(direct, {});
  // Server CPU per routed request: less swayed than req/s by other work on a shared machine.
  const cpu0 = cpuSeconds(server.child.pid);
  const routed = await measure(scoreUrl, headers);
  const cpu1 = cpuSeconds(server.child.pid);
  const row = (name, r) => ({
    path: name,
    'req/s': Math.round(r.requests.average),
    'p50 ms': r.latency.p50,
    'p99 ms': r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
  });
  console.log(
    `\nbench:serve — ${connections} connections, ${seconds} s each, one replica (max_concurrent ${connections})\n`,
  );
  table([row('scoring host directly (baseline)', baseline), row('through the endpoint router', routed)]);
  if (cpu0 !== undefined && cpu1 !== undefined && routed.requests.total > 0)
    console.log(
      `\nserver CPU per routed request: ${Math.round(((cpu1 - cpu0) * 1e6) / routed.requests.total)} µs (${routed.requests.total} requests)`,
    );
  console.log(
    `\ntime from online-deployment create to first successful score: ${Math.round(firstScoreMs)} ms`,
  );

  // A Kubernetes deployment on an inference cluster: its replica is a job on a node of the pool,
  // which starts with it (node start, lease, sandbox, Python, init(), port report, probe).
  writeFileSync(
    join(dir, 'pool.yml'),
    'name: inference-pool\ntype: aks\nsize: Standard_D3_v2\nagent_count: 1\ncluster_purpose: DevTest\n',
  );
  run(['compute', 'create', '-f', 'pool.yml', '-o', 'none']);
  const deploymentYaml = (name, extra) =>
    writeFileSync(
      join(dir, `${name}.yml`),
      `name: ${name}
endpoint_name: bench-ep
model: ./model
code_configuration: { code: ./code, scoring_script: score.py }
environment: azureml:system-python:1
request_settings: { max_queue_wait_ms: 60000 }
readiness_probe: { initial_delay: 0, period: 1 }
${extra}`,
    );
  deploymentYaml('k8s', 'compute: inference-pool\ninstance_count: 1\n');
  const k0 = performance.now();
  run(['online-deployment', 'create', '-f', 'k8s.yml', '--no-wait', '-o', 'none']);
  for (const deadline = Date.now() + 120_000; ;) {
    if (Date.now() > deadline) throw new Error('the k8s deployment never answered within 2 minutes');
    const r = await fetch(scoreUrl, {
      method: 'POST',
      headers: { ...headers, 'azureml-model-deployment': 'k8s' },
      body,
    }).catch(() => undefined);
    if (r?.status === 200) break;
    await r?.arrayBuffer();
    await sleep(20);
  }
  console.log(
    `time from online-deployment create to first successful score on an aks pool (node started for it): ${Math.round(performance.now() - k0)} ms`,
  );

  // Scale to zero (hangar_scale_to_zero): a request to a deployment with no replica is held while
  // one starts; the figure is that request's latency (start, init, readiness probe, score). Once on
  // the server's serving pool (managed), once as a replica job on the pool's node (already up).
  const zero =
    'scale_settings: { type: target_utilization, min_instances: 0, max_instances: 1, target_utilization_percentage: 100, hangar_scale_to_zero: true }\n';
  deploymentYaml('cold', `instance_type: Standard_DS3_v2\n${zero}`);
  deploymentYaml('coldpool', `compute: inference-pool\n${zero}`);
  for (const [name, where] of [
    ['cold', "the server's serving pool"],
    ['coldpool', 'a node of the aks pool'],
  ]) {
    run(['online-deployment', 'create', '-f', `${name}.yml`, '-o', 'none']);
    const coldHeaders = { ...headers, 'azureml-model-deployment': name };
    const c0 = performance.now();
    const cold = await fetch(scoreUrl, { method: 'POST', headers: coldHeaders, body });
    const coldMs = performance.now() - c0;
    await cold.arrayBuffer();
    const w0 = performance.now();
    await (await fetch(scoreUrl, { method: 'POST', headers: coldHeaders, body })).arrayBuffer();
    const warmMs = performance.now() - w0;
    console.log(
      `scale to zero on ${where}: first request held → served ${Math.round(coldMs)} ms (status ${cold.status}); the next, warm, ${warmMs.toFixed(1)} ms`,
    );
  }
} finally {
  await server.stop();
}
