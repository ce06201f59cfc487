import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTinyWheel } from '../helpers/job-fixtures.js';
import { tempDir, waitFor } from '../helpers/processes.js';
import { createInferenceCluster } from '../helpers/endpoint-fixtures.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// Inference clusters as pools: a Kubernetes deployment on an `aks` compute runs each replica as a
// job on that compute's nodes (real agent processes started by the local provider), the agent runs
// the scoring host in its sandbox and reports its port, and the endpoint routes to it there.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });

const ws = '/api/workspaces/default';
const config = {
  environmentAliases: [{ match: 'system-python', python: '/usr/bin/python3' }],
  // A wheel folder stands in for a package index: registered environments' packages come from it.
  jobs: { pipFindLinks: buildTinyWheel() },
};

/** init() raises with INIT_FAIL; run() scales the input by the model's weight and names its replica. */
const scorePy = `import json, os
def init():
    global w, replica
    if os.environ.get("INIT_FAIL"):
        raise RuntimeError("the model cannot load")
    replica = os.urandom(8).hex()
    w = json.load(open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "w.json")))[0]
def run(raw):
    return {"y": [w * x for x in json.loads(raw)["data"]], "replica": replica, "pid": os.getpid()}
`;

const ok = (r: { code: number | null; stdout: string; stderr: string }): any => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

interface Job {
  name: string;
  properties: { status: string; computeId?: string; parentJobName?: string };
}

describe('Kubernetes deployments on an inference cluster (aks) pool', () => {
  let server: ServerProcess;
  let dir = '';
  let key = '';
  const cli = (args: string[]) => runCli(args, { url: server.url, cwd: dir });
  const yaml = (name: string, body: string): string => {
    const file = join(dir, `${name}.yml`);
    writeFileSync(
      file,
      `name: ${name}
endpoint_name: pool-ep
model: ./model
code_configuration: { code: ./code, scoring_script: score.py }
environment: azureml:system-python:1
readiness_probe: { initial_delay: 0, period: 1 }
${body}`,
    );
    return file;
  };
  const score = (body: unknown): Promise<Response> =>
    fetch(`${server.url}/endpoints/pool-ep/score`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });
  const show = async (d: string): Promise<any> =>
    (await api(server.url, 'GET', `${ws}/onlineEndpoints/pool-ep/deployments/${d}`)).body;
  const replicaJobs = async (d: string): Promise<Job[]> => {
    const parent = (await show(d)).hangar.replicaJobsParent as string;
    return (await api(server.url, 'GET', `${ws}/jobs?parentJobName=${parent}`)).body.value as Job[];
  };

  beforeAll(async () => {
    dir = tempDir('hangar-ep-pool-');
    mkdirSync(join(dir, 'code'));
    mkdirSync(join(dir, 'model'));
    writeFileSync(join(dir, 'code', 'score.py'), scorePy);
    writeFileSync(join(dir, 'model', 'w.json'), '[5]');
    server = await startServerProcess({ config });
    await createInferenceCluster(cli, dir, 'aks1');
    ok(await cli(['online-endpoint', 'create', '-n', 'pool-ep']));
    key = ok(await cli(['online-endpoint', 'get-credentials', '-n', 'pool-ep'])).primaryKey;
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('runs two replicas as jobs on the cluster node, serves from both, and stops them when deleted', async () => {
    const created = ok(
      await cli([
        'online-deployment',
        'create',
        '-f',
        yaml('blue', 'compute: aks1\ninstance_count: 2\n'),
        '--all-traffic',
      ]),
    );
    expect(created.type).toBe('kubernetes');
    const shown = await show('blue');
    expect(shown.properties.provisioningState).toBe('Succeeded');
    expect(shown.hangar.readyReplicas).toBe(2);
    expect(shown.hangar.compute).toBe('aks1');

    // Each replica is a Running job on aks1, listed under the deployment, not among top-level jobs.
    const jobs = await replicaJobs('blue');
    expect(jobs).toHaveLength(2);
    for (const j of jobs) expect(j.properties.status).toBe('Running');
    const top = (await api(server.url, 'GET', `${ws}/jobs`)).body.value as Job[];
    expect(top.filter((j) => jobs.some((r) => r.name === j.name))).toEqual([]);
    // The cluster got one node (a 4-vCPU size holds both replicas), started by the local provider.
    const nodes = (await api(server.url, 'GET', `${ws}/computes/aks1/nodes`)).body.value as unknown[];
    expect(nodes).toHaveLength(1);

    // Requests reach both scoring hosts (least-loaded routing across the node's two replicas).
    const seen = new Set<string>();
    for (let i = 0; i < 30 && seen.size < 2; i++) {
      const r = await score({ data: [1, 2] });
      expect(r.status).toBe(200);
      const body = (await r.json()) as { y: number[]; replica: string };
      expect(body.y).toEqual([5, 10]);
      seen.add(body.replica);
      if (seen.size < 2) {
        // Two at once so that the second goes to the other replica.
        const [a, b] = await Promise.all([score({ data: [1] }), score({ data: [1] })]);
        for (const x of [a, b]) seen.add(((await x.json()) as { replica: string }).replica);
      }
    }
    expect(seen.size).toBe(2);

    // get-logs reads the replica job's log, shipped by the node's agent.
    const logs = await cli(['online-deployment', 'get-logs', '-n', 'blue', '-e', 'pool-ep', '--lines', '50']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/init\(\)|listening|port/i);

    // Deleting the deployment cancels its replica jobs.
    ok(await cli(['online-endpoint', 'update', '-n', 'pool-ep', '--traffic', 'blue=0']));
    const del = await cli(['online-deployment', 'delete', '-n', 'blue', '-e', 'pool-ep', '--yes']);
    expect(del.code, del.stderr).toBe(0);
    await waitFor(
      async () => {
        const states = await Promise.all(
          jobs.map(
            async (j) => (await api(server.url, 'GET', `${ws}/jobs/${j.name}`)).body.properties.status,
          ),
        );
        return states.every((s) => s === 'Canceled');
      },
      'the replica jobs canceled',
      30_000,
    );
  });

  it("installs the deployment's registered environment on the node: score.py imports its package", async () => {
    writeFileSync(
      join(dir, 'conda.yml'),
      'name: tiny\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n    - tinypkg==0.1\n',
    );
    writeFileSync(join(dir, 'env.yml'), 'name: tiny-env\nversion: 1\nconda_file: conda.yml\n');
    ok(await cli(['environment', 'create', '-f', 'env.yml']));
    mkdirSync(join(dir, 'tiny-code'));
    writeFileSync(
      join(dir, 'tiny-code', 'score.py'),
      'import sys, tinypkg\ndef init():\n    pass\ndef run(raw):\n    return {"value": tinypkg.VALUE, "prefix": sys.prefix}\n',
    );
    writeFileSync(
      join(dir, 'tiny.yml'),
      `name: tiny
endpoint_name: pool-ep
compute: aks1
instance_count: 1
code_configuration: { code: ./tiny-code, scoring_script: score.py }
environment: azureml:tiny-env:1
readiness_probe: { initial_delay: 0, period: 1 }
`,
    );
    ok(await cli(['online-deployment', 'create', '-f', 'tiny.yml']));
    const shown = await show('tiny');
    expect(shown.hangar.environment).toContain('tiny-env');
    const r = await fetch(`${server.url}/endpoints/pool-ep/score`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'azureml-model-deployment': 'tiny' },
      body: '{}',
    });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { value: number; prefix: string };
    // tinypkg exists only in the wheel folder: the node built a venv for the replica.
    expect(body.value).toBe(42);
    expect(body.prefix).not.toBe('/usr');
  });

  it("a managed deployment whose environment has packages runs on the workspace's built-in serving pool", async () => {
    writeFileSync(
      join(dir, 'managed-tiny.yml'),
      `name: managed-tiny
endpoint_name: pool-ep
instance_type: Standard_DS3_v2
instance_count: 1
code_configuration: { code: ./tiny-code, scoring_script: score.py }
environment: azureml:tiny-env:1
readiness_probe: { initial_delay: 0, period: 1 }
`,
    );
    const created = ok(await cli(['online-deployment', 'create', '-f', 'managed-tiny.yml']));
    expect(created.type).toBe('managed');
    const shown = await show('managed-tiny');
    expect(shown.hangar.compute).toBe('serving');
    expect(shown.hangar.environment).not.toContain('not installed');
    // The pool is an inference cluster created on first use, its nodes started for the replica.
    const pool = (await api(server.url, 'GET', `${ws}/computes/serving`)).body;
    expect(pool.properties.computeType).toBe('AKS');
    expect(pool.tags['hangar.managedServing']).toBe('true');
    const r = await fetch(`${server.url}/endpoints/pool-ep/score`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'azureml-model-deployment': 'managed-tiny' },
      body: '{}',
    });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { value: number }).value).toBe(42);
  });

  it('after a server restart the replica jobs serve again: taken back, none started twice', async () => {
    ok(
      await cli([
        'online-deployment',
        'create',
        '-f',
        yaml('green', 'compute: aks1\ninstance_count: 1\n'),
        '--all-traffic',
      ]),
    );
    const before = (await (await score({ data: [1] })).json()) as { replica: string };
    const jobs = await replicaJobs('green');
    expect(jobs).toHaveLength(1);
    const port = Number(new URL(server.url).port);
    await server.kill9();
    server = await startServerProcess({ home: server.home, port, config });
    // The same scoring host answers (its init() ran once): the job was taken back, not replaced.
    const after = await waitFor(
      async () => {
        const r = await score({ data: [2] });
        return r.status === 200 ? ((await r.json()) as { y: number[]; replica: string }) : undefined;
      },
      'the endpoint to answer after the restart',
      30_000,
    );
    expect(after.y).toEqual([10]);
    expect(after.replica).toBe(before.replica);
    const again = await replicaJobs('green');
    expect(again.map((j) => j.name)).toEqual(jobs.map((j) => j.name));
    expect((await show('green')).hangar.readyReplicas).toBe(1);
  });

  it("a replica whose init() raises fails the deployment with the traceback from the node's log", async () => {
    const r = await cli([
      'online-deployment',
      'create',
      '-f',
      yaml('broken', 'compute: aks1\ninstance_count: 1\nenvironment_variables: { INIT_FAIL: "1" }\n'),
    ]);
    expect(r.code).not.toBe(0);
    const shown = await show('broken');
    expect(shown.properties.provisioningState).toBe('Failed');
    expect(shown.hangar.reason).toContain('init() in the scoring script raised');
    expect(shown.hangar.logTail).toContain('the model cannot load');
    const jobs = await replicaJobs('broken');
    expect(jobs.map((j) => j.properties.status)).toEqual(['Failed']);
  });

  it('refuses a compute that does not exist or cannot host replicas, naming the field and value', async () => {
    const viaCli = await cli([
      'online-deployment',
      'create',
      '-f',
      yaml('nope', 'compute: no-such-cluster\n'),
    ]);
    expect(viaCli.code).not.toBe(0);
    expect(viaCli.stderr).toContain("compute: 'no-such-cluster' does not exist");
    // A size larger than the cluster's nodes (Standard_D3_v2: 4 vCPUs) cannot be held there.
    const big = await cli([
      'online-deployment',
      'create',
      '-f',
      yaml('big', 'compute: aks1\ninstance_type: Standard_D14_v2\ninstance_count: 1\n'),
    ]);
    expect(big.code).not.toBe(0);
    expect(big.stderr).toContain(
      "instance_type: 'Standard_D14_v2' (16 vCPUs, 0 GPU(s)) does not fit a node of compute 'aks1'",
    );
    // A custom container (its image serves its own routes) is refused, naming the environment.
    writeFileSync(
      join(dir, 'container-env.yml'),
      `name: triton-like
version: 1
image: nvcr.io/nvidia/tritonserver:23.01-py3
inference_config:
  liveness_route: { port: 8000, path: /v2/health/live }
  readiness_route: { port: 8000, path: /v2/health/ready }
  scoring_route: { port: 8000, path: / }
`,
    );
    ok(await cli(['environment', 'create', '-f', 'container-env.yml']));
    const custom = yaml('custom', 'compute: aks1\ninstance_count: 1\n');
    writeFileSync(custom, readFileSync(custom, 'utf8').replace('system-python:1', 'triton-like:1'));
    const container = await cli(['online-deployment', 'create', '-f', custom]);
    expect(container.code).not.toBe(0);
    expect(container.stderr).toContain(
      "environment: 'azureml:triton-like:1' is a custom container (inference_config",
    );
    // Nothing was created or started for any of them.
    const names = (await api(server.url, 'GET', `${ws}/onlineEndpoints/pool-ep/deployments`)).body.value.map(
      (d: { name: string }) => d.name,
    );
    expect(names).not.toContain('nope');
    expect(names).not.toContain('big');
    expect(names).not.toContain('custom');
  });
});
