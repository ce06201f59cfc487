import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, buildTinyWheel, createCluster, jobFolder, waitForEnd } from '../helpers/job-fixtures.js';
import { nonEmpty, processesWithEnv } from '../helpers/job-processes.js';
import { tempDir, waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess, serverFetch } from '../helpers/server-process.js';

let server: ServerProcess;
let wheels: string;
const cli = (args: string[], cwd?: string) => runCli(args, { url: server.url, ...(cwd ? { cwd } : {}) });

beforeAll(async () => {
  wheels = buildTinyWheel();
  server = await startServerProcess({
    config: {
      reconcileIntervalMs: 200,
      jobs: { heartbeatIntervalMs: 300, cancelGraceSeconds: 2, pipFindLinks: wheels },
      environmentAliases: [{ match: 'AzureML-sklearn-1.0-ubuntu20.04-py38-cpu', python: '/usr/bin/python3' }],
    },
  });
  await createCluster(server.url, 'cpu-cluster', 1, 2);
}, 120_000);

afterAll(async () => {
  await api(server.url, 'DELETE', '/api/workspaces/default/computes/cpu-cluster');
  await waitFor(
    async () => (await api(server.url, 'GET', '/api/workspaces/default/computes/cpu-cluster')).status === 404,
    'the cluster to go',
    30_000,
  );
  await server.stop();
});

describe('jobs on a cluster (real agents, real Python)', () => {
  it('runs the hello example: Completed, logs, metrics with history, params, outputs', async () => {
    const r = await cli([
      'job',
      'create',
      '-f',
      'examples/hello-python/job.yml',
      '--name',
      'hello-1',
      '--stream',
    ]);
    expect(r.stderr).toContain('Completed (exit code 0)');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('hello from hangar | mode: demo');
    expect(r.stdout).toContain('step 4: total=10');
    const metrics = (await api(server.url, 'GET', '/api/workspaces/default/jobs/hello-1/metrics')).body;
    expect(metrics.metrics).toEqual([expect.objectContaining({ key: 'total', value: 10, step: 4 })]);
    expect(metrics.params).toEqual({ steps: '5' });
    const history = (
      await api(server.url, 'GET', '/api/workspaces/default/jobs/hello-1/metrics/total/history')
    ).body.value;
    expect(history.map((m: { value: number }) => m.value)).toEqual([0, 1, 3, 6, 10]);
    const out = tempDir();
    const dl = await cli(['job', 'download', '-n', 'hello-1', '--download-path', out]);
    expect(dl.code).toBe(0);
    expect(readFileSync(join(out, 'hello-1', 'outputs', 'result.txt'), 'utf8')).toBe('10\n');
    expect(readFileSync(join(out, 'hello-1', 'user_logs', 'std_log.txt'), 'utf8')).toContain(
      'step 4: total=10',
    );
    const job = (await api(server.url, 'GET', '/api/workspaces/default/jobs/hello-1')).body.properties;
    expect(job).toMatchObject({
      status: 'Completed',
      exitCode: 0,
      experimentName: 'hello',
      renderedCommand: 'python hello.py --steps 5 --greeting "hello from hangar"',
    });
    expect(job.attempts).toHaveLength(1);
  });

  it('a failing command ends Failed with its exit code, and the CLI exits non-zero', async () => {
    const yml = jobFolder({
      command: 'python -c "import sys; print(\'about to fail\'); sys.exit(3)"',
      compute: 'azureml:cpu-cluster',
    });
    const r = await cli(['job', 'create', '-f', yml, '--name', 'fails-3', '--stream']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('about to fail');
    const job = await waitForEnd(server.url, 'fails-3');
    expect(job.properties).toMatchObject({ status: 'Failed', exitCode: 3 });
    expect(job.properties.error.message).toContain('exited with code 3');
  });

  it('cancel stops the whole process tree and ends Canceled', async () => {
    // Jobs have their own PID namespace: their processes are found by a tag in their environment.
    const tag = randomUUID();
    const yml = jobFolder({
      command: 'sleep 300 & echo started; wait',
      compute: 'cpu-cluster',
      environment_variables: { HANGAR_TEST_PROBE: tag },
    });
    expect((await cli(['job', 'create', '-f', yml, '--name', 'to-cancel'])).code).toBe(0);
    const [child = 0] = await waitFor(
      () => nonEmpty(processesWithEnv('HANGAR_TEST_PROBE', tag, 'sleep')),
      'the job to start its child',
      30_000,
    );
    expect(alive(child)).toBe(true);
    const c = await cli(['job', 'cancel', '-n', 'to-cancel']);
    expect(c.code).toBe(0);
    const job = await waitForEnd(server.url, 'to-cancel');
    expect(job.properties.status).toBe('Canceled');
    await waitFor(() => !alive(child), 'the child sleep to be killed', 10_000);
  });

  it('limits.timeout kills the tree and fails with the reason', async () => {
    const tag = randomUUID();
    const yml = jobFolder({
      command: 'sleep 300 & wait',
      compute: 'cpu-cluster',
      limits: { timeout: 2 },
      environment_variables: { HANGAR_TEST_PROBE: tag },
    });
    await cli(['job', 'create', '-f', yml, '--name', 'times-out']);
    const job = await waitForEnd(server.url, 'times-out');
    expect(job.properties.status).toBe('Failed');
    expect(job.properties.error.message).toContain('exceeded limits.timeout of 2 s');
    await waitFor(
      () => processesWithEnv('HANGAR_TEST_PROBE', tag).length === 0,
      'the job and its child sleep to be killed',
      10_000,
    );
  });

  it('resubmitting unchanged code uploads nothing; a changed file uploads one blob', async () => {
    const yml = jobFolder(
      { command: 'python main.py', compute: 'cpu-cluster' },
      { 'main.py': 'print("v1")\n', 'lib/util.py': 'X = 1\n' },
    );
    const first = await cli(['job', 'create', '-f', yml]);
    expect(first.stderr).toMatch(/uploaded 2 .*0 already on the server/);
    const second = await cli(['job', 'create', '-f', yml]);
    expect(second.stderr).toMatch(/uploaded 0 .*2 already on the server/);
    writeFileSync(join(yml, '..', 'src', 'main.py'), 'print("v2")\n');
    const third = await cli(['job', 'create', '-f', yml, '--name', 'changed', '--stream']);
    expect(third.stderr).toMatch(/uploaded 1 .*1 already on the server/);
    expect(third.stdout).toContain('v2');
  });

  it('honours .amlignore over .gitignore; --dry-run shows what would be uploaded', async () => {
    const yml = jobFolder(
      { command: 'ls -a', compute: 'cpu-cluster' },
      {
        'train.py': 'print(1)\n',
        'data/big.csv': 'x'.repeat(5000),
        'notes.log': 'log\n',
        '.gitignore': 'data/\n',
        'sub/.amlignore': '*.tmp\n',
        'sub/.gitignore': 'keep.txt\n',
        'sub/keep.txt': 'kept\n',
        'sub/scratch.tmp': 'tmp\n',
      },
    );
    const dry = await cli(['job', 'create', '-f', yml, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/files/);
    expect(dry.stdout).toContain('excluded: data by .gitignore (data/)');
    expect(dry.stdout).toContain('excluded: sub/scratch.tmp by .amlignore (*.tmp)');
    expect(dry.stdout).not.toContain('excluded: sub/keep.txt');
    expect(
      (await api(server.url, 'GET', '/api/workspaces/default/jobs?$top=1000')).body.value.map(
        (j: { name: string }) => j.name,
      ),
    ).not.toContain('dry');
    const run = await cli([
      'job',
      'create',
      '-f',
      yml,
      '--name',
      'ignores',
      '--set',
      'command="find . -type f | sort"',
      '--stream',
    ]);
    expect(run.stdout).toContain('./sub/keep.txt');
    expect(run.stdout).toContain('./train.py');
    expect(run.stdout).not.toContain('big.csv');
    expect(run.stdout).not.toContain('scratch.tmp');
  });

  it('refuses snapshots with absolute paths, .. or escaping links', async () => {
    const sha = '0'.repeat(64);
    for (const entry of [
      { path: '/etc/passwd', kind: 'file', sha256: sha, size: 1, mode: 420 },
      { path: 'a/../../x', kind: 'file', sha256: sha, size: 1, mode: 420 },
      { path: 'link', kind: 'symlink', target: '../../etc' },
    ]) {
      const r = await api(server.url, 'PUT', '/api/snapshots', { version: 1, entries: [entry] });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('UnsafeArchive');
    }
  });

  it('MLflow REST routes round-trip from a job using plain HTTP (as the mlflow client would)', async () => {
    const script = [
      'import json, os, time, urllib.request',
      'base = os.environ["MLFLOW_TRACKING_URI"] + "/api/2.0/mlflow/"',
      'run = os.environ["MLFLOW_RUN_ID"]',
      // MLflow clients send MLFLOW_TRACKING_TOKEN as a bearer token: here the job's own run token.
      'auth = {"authorization": "Bearer " + os.environ["MLFLOW_TRACKING_TOKEN"]}',
      'def post(path, body):',
      '    req = urllib.request.Request(base + path, json.dumps(dict(body, run_id=run)).encode(), dict(auth, **{"content-type": "application/json"}))',
      '    urllib.request.urlopen(req).read()',
      'ts = int(time.time() * 1000)',
      'post("runs/log-batch", {"metrics": [{"key": "loss", "value": 0.5, "timestamp": ts, "step": 0}, {"key": "loss", "value": 0.25, "timestamp": ts, "step": 1}], "params": [{"key": "lr", "value": "0.1"}], "tags": [{"key": "team", "value": "ml"}]})',
      'post("runs/log-metric", {"key": "acc", "value": 0.9, "timestamp": ts, "step": 0})',
      'post("runs/set-tag", {"key": "stage", "value": "dev"})',
      'got = json.load(urllib.request.urlopen(urllib.request.Request(base + "runs/get?run_id=" + run, headers=auth)))',
      'print("run status", got["run"]["info"]["status"])',
    ].join('\n');
    const yml = jobFolder({ command: 'python track.py', compute: 'cpu-cluster' }, { 'track.py': script });
    const r = await cli(['job', 'create', '-f', yml, '--name', 'mlflow-rest', '--stream']);
    expect(r.stdout).toContain('run status RUNNING');
    const tracking = `${server.url}/api/workspaces/default/mlflow/api/2.0/mlflow`;
    const history: any = await (
      await serverFetch(`${tracking}/metrics/get-history?run_id=mlflow-rest&metric_key=loss`)
    ).json();
    expect(history.metrics.map((m: { value: number; step: number }) => [m.step, m.value])).toEqual([
      [0, 0.5],
      [1, 0.25],
    ]);
    const run: any = await (await serverFetch(`${tracking}/runs/get?run_id=mlflow-rest`)).json();
    expect(run.run.info.status).toBe('FINISHED');
    expect(run.run.data.params).toEqual([{ key: 'lr', value: '0.1' }]);
    expect(run.run.data.tags).toEqual([
      { key: 'stage', value: 'dev' },
      { key: 'team', value: 'ml' },
    ]);
    const again = await serverFetch(`${tracking}/runs/log-parameter`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ run_id: 'mlflow-rest', key: 'lr', value: '0.2' }),
    });
    expect(again.status).toBe(400); // MLflow: INVALID_PARAMETER_VALUE
  });

  it('keeps logs whole after completion', async () => {
    const script =
      'import sys\nfor i in range(3000):\n    print(f"line {i:04d}")\n    if i % 7 == 0:\n        sys.stderr.write(f"err {i}\\n")\n';
    const yml = jobFolder({ command: 'python lines.py', compute: 'cpu-cluster' }, { 'lines.py': script });
    await cli(['job', 'create', '-f', yml, '--name', 'many-lines']);
    await waitForEnd(server.url, 'many-lines');
    const text = await (
      await serverFetch(`${server.url}/api/workspaces/default/jobs/many-lines/logs`)
    ).text();
    const lines = text.split('\n').filter((l) => l.startsWith('line '));
    expect(lines).toHaveLength(3000);
    expect(new Set(lines).size).toBe(3000);
    expect(text.split('\n').filter((l) => l.startsWith('err '))).toHaveLength(429);
  });
});
