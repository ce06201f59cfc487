// The GPU check (issue 21) for a machine with real NVIDIA GPUs: a real server, the local provider's
// agents and jobs running PyTorch on the GPU. CI has no GPU (its test uses a fake nvidia-smi); run this
// where one exists: `npm run check:gpu` (after `npm run build`). It prints each check and the figures
// (bf16 matrix TFLOP/s in a Hangar job against the same script run directly, in the same run), and
// exits 1 when a check fails, 2 when the machine has no GPU or no PyTorch.
// GPU_CHECK_SECONDS: how long each job keeps the GPU busy (default 20).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startServer } from './bench-server.mjs';

const seconds = Number(process.env.GPU_CHECK_SECONDS ?? 20);
const cli = resolve(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const results = [];
const check = (name, ok, detail = '') => {
  results.push({ name, ok: Boolean(ok), detail });
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? `: ${detail}` : ''}`);
};

function gpusOfHost() {
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=index,name,memory.total', '--format=csv,noheader'], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .filter(Boolean);
  } catch {
    return [];
  }
}

/** The interpreter that has PyTorch with CUDA: PATH's python3, else the ones images commonly carry. */
function torchPython() {
  for (const py of [
    process.env.GPU_CHECK_PYTHON,
    'python3',
    '/opt/torch/.venv/bin/python3',
    '/usr/bin/python3',
  ]) {
    if (!py) continue;
    try {
      const path = execFileSync(
        py,
        ['-c', 'import sys, torch; assert torch.cuda.is_available(); print(sys.executable)'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
      ).trim();
      if (path) return path;
    } catch {
      /* next */
    }
  }
  return undefined;
}

const trainPy = `import os, time, torch
print("CUDA_VISIBLE_DEVICES=" + os.environ.get("CUDA_VISIBLE_DEVICES", "<unset>"), flush=True)
print("device=" + torch.cuda.get_device_name(0) + " count=" + str(torch.cuda.device_count()), flush=True)
n = 8192
a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
b = torch.randn_like(a)
for _ in range(3):
    a @ b
torch.cuda.synchronize()
t0, iters = time.time(), 0
while time.time() - t0 < float(os.environ.get("BUSY_SECONDS", "${seconds}")):
    for _ in range(20):
        c = a @ b
    torch.cuda.synchronize()
    iters += 20
dt = time.time() - t0
print(f"tflops={2 * n**3 * iters / dt / 1e12:.1f}", flush=True)
`;

function runCli(server, args, cwd) {
  return new Promise((res) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd,
      env: { ...process.env, HANGAR_URL: server.url, HANGAR_TOKEN: server.token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => res({ code, out, err }));
  });
}

async function api(server, method, path, body) {
  const r = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

async function waitFor(what, fn, ms = 180_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

const jobOf = async (server, name) => (await api(server, 'GET', `/api/workspaces/default/jobs/${name}`)).body;
const logOf = async (server, name) =>
  (
    await api(
      server,
      'GET',
      `/api/workspaces/default/jobs/${name}/logs?file=${encodeURIComponent('user_logs/std_log.txt')}`,
    )
  ).body;
const ended = (j) => ['Completed', 'Failed', 'Canceled'].includes(j?.properties?.status);

async function main() {
  const host = gpusOfHost();
  const python = torchPython();
  console.log(`host GPUs (nvidia-smi): ${host.length ? host.join(' | ') : 'none'}`);
  console.log(`PyTorch interpreter: ${python ?? 'none'}`);
  if (!host.length || !python) {
    console.log('No GPU or no PyTorch with CUDA here: nothing to check.');
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), 'hangar-gpu-check-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'train.py'), trainPy);

  // Baseline in the same run: the same script, directly on the host.
  const direct = execFileSync(python, [join(dir, 'src', 'train.py')], {
    encoding: 'utf8',
    env: { ...process.env, BUSY_SECONDS: String(Math.min(seconds, 10)) },
  });
  const directTflops = Number(/tflops=([\d.]+)/.exec(direct)?.[1]);
  console.log(`direct run: ${direct.trim().split('\n').join(' | ')}`);

  const sandboxOff = process.env.GPU_CHECK_NO_SANDBOX === '1';
  const server = await startServer(
    [
      'reconcileIntervalMs: 200',
      'jobs:',
      '  heartbeatIntervalMs: 300',
      ...(sandboxOff ? ['  insecureNoSandbox: true'] : []),
      'metrics:',
      '  sampleIntervalSeconds: 1',
      '',
    ].join('\n'),
  );
  try {
    // What the location offers: the host's real GPUs.
    const sizes = (await api(server, 'GET', '/api/locations/local/vmSizes')).body.value ?? [];
    const nc6 = sizes.find((s) => s.name === 'Standard_NC6');
    check(
      'Standard_NC6 shows the host GPU count',
      nc6?.properties?.gpusAvailable === host.length || nc6?.gpusAvailable === host.length,
      JSON.stringify(nc6?.properties ?? nc6),
    );
    const usages = (await api(server, 'GET', '/api/locations/local/usages')).body.value ?? [];
    const gpuRow = usages.find((u) => u.name?.value === 'gpus');
    check(
      "the usage row 'gpus' names the host's model",
      gpuRow && host.some((h) => gpuRow.name.localizedValue.includes(h.split(',')[1].trim())),
      gpuRow?.name?.localizedValue,
    );

    // A 1-GPU cluster that may grow to one node more than the host has GPUs.
    const max = host.length + 1;
    const put = await api(server, 'PUT', '/api/workspaces/default/computes/nc6', {
      properties: {
        computeType: 'AmlCompute',
        properties: {
          vmSize: 'Standard_NC6',
          scaleSettings: { minNodeCount: 0, maxNodeCount: max, nodeIdleTimeBeforeScaleDown: 'PT600S' },
        },
      },
    });
    check('cluster nc6 created', put.status < 300, `HTTP ${put.status}`);
    const names = Array.from({ length: max }, (_, i) => `gpu-job-${i + 1}`);
    writeFileSync(
      join(dir, 'job.yml'),
      `code: ./src\ncommand: ${python} train.py\ncompute: azureml:nc6\nenvironment_variables:\n  BUSY_SECONDS: "${seconds}"\n`,
    );
    const submitted = Date.now();
    for (const name of names) {
      const r = await runCli(server, ['job', 'create', '-f', 'job.yml', '--name', name, '-o', 'none'], dir);
      check(`job ${name} submitted`, r.code === 0, r.err.trim());
    }
    const running = await waitFor('the first job to run', async () => {
      for (const n of names) if ((await jobOf(server, n))?.properties?.status === 'Running') return n;
      return undefined;
    });
    console.log(`first job Running after ${((Date.now() - submitted) / 1000).toFixed(1)} s`);

    // While the GPUs are held, the extra node is refused with the reason, and no job starts beyond them.
    const refusal = await waitFor(
      'the refusal of a node beyond the host GPUs',
      async () => {
        const c = (await api(server, 'GET', '/api/workspaces/default/computes/nc6')).body;
        return c.properties?.properties?.errors?.find((e) => /GPU/.test(e.message))?.message;
      },
      60_000,
    ).catch((e) => String(e));
    check('a node beyond the host GPUs is refused, naming them', /needs 1 GPU/.test(refusal), refusal);
    let overlapping = 0;
    const samples = [];
    while (true) {
      const jobs = await Promise.all(names.map((n) => jobOf(server, n)));
      overlapping = Math.max(overlapping, jobs.filter((j) => j.properties.status === 'Running').length);
      samples.push(jobs.map((j) => j.properties.status).join(','));
      if (jobs.every(ended)) break;
      await sleep(500);
    }
    check(
      'never more jobs on GPUs than the host has',
      overlapping <= host.length,
      `max running at once ${overlapping}`,
    );

    const tflops = [];
    for (const name of names) {
      const j = await jobOf(server, name);
      const text = String(await logOf(server, name));
      check(`${name} Completed`, j.properties.status === 'Completed', j.properties.status);
      const vis = /CUDA_VISIBLE_DEVICES=(\S*)/.exec(text)?.[1];
      const count = /count=(\d+)/.exec(text)?.[1];
      check(
        `${name} sees exactly one GPU`,
        vis !== undefined && /^\d+$/.test(vis) && count === '1',
        `CUDA_VISIBLE_DEVICES=${vis} torch count=${count}`,
      );
      const t = Number(/tflops=([\d.]+)/.exec(text)?.[1]);
      if (t) tflops.push(t);
      const metrics = (await api(server, 'GET', `/api/workspaces/default/jobs/${name}/systemMetrics`)).body;
      const gpuSeries = (metrics.value ?? []).filter(
        (s) => s.name === 'GpuUtilization' && s.gpu !== undefined,
      );
      const peak = Math.max(0, ...gpuSeries.flatMap((s) => s.points.map((p) => p.value)));
      check(
        `${name}'s own GPU utilisation was sampled and was high`,
        gpuSeries.length === 1 && peak >= 50,
        `${gpuSeries.length} GPU series, ${gpuSeries[0]?.points.length ?? 0} points, peak ${peak}%`,
      );
      const mem = (metrics.value ?? []).find((s) => /GpuMemory/.test(s.name) && s.gpu !== undefined);
      if (mem) console.log(`${name} ${mem.name} peak ${Math.max(...mem.points.map((p) => p.value))}`);
      if (metrics.hints?.length) console.log(`${name} hints: ${metrics.hints.join(' ')}`);
    }
    const nodes = (await api(server, 'GET', '/api/workspaces/default/computes/nc6/nodes')).body.value ?? [];
    check(
      'each node holds its own GPU',
      nodes.length <= host.length && nodes.every((n) => n.gpus?.length === 1),
      JSON.stringify(nodes.map((n) => ({ id: n.nodeId, gpus: n.gpus }))),
    );
    const prom = String((await api(server, 'GET', '/metrics')).body);
    const line = prom.split('\n').find((l) => l.startsWith('hangar_node_gpu_utilization_percent{'));
    check('Prometheus exports per-GPU utilisation', Boolean(line), line);

    const mean = tflops.reduce((a, b) => a + b, 0) / (tflops.length || 1);
    console.log(
      `figures: bf16 8192³ matmul ${directTflops.toFixed(1)} TFLOP/s direct, ${mean.toFixed(1)} TFLOP/s in ` +
        `Hangar jobs (${(mean / directTflops).toFixed(2)}×), sandbox ${sandboxOff ? 'off' : 'on'}`,
    );
    await api(server, 'DELETE', '/api/workspaces/default/computes/nc6');
  } finally {
    await server.stop();
  }
  return results.every((r) => r.ok) ? 0 : 1;
}

process.exitCode = await main().catch((e) => {
  console.error(e);
  return 1;
});
