import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tempDir, waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { detachCompute, startSlurmCluster, type SlurmCluster } from '../helpers/slurm-cluster.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// A Kubernetes deployment whose compute is a real Slurm cluster (scripts/slurm-cluster.sh): its
// replica is a job in a Slurm allocation running `hangar agent`, which runs the scoring host; the
// endpoint routes to it at the node's address, and deleting the deployment ends the job.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 90_000 });

const ws = '/api/workspaces/default';
let server: ServerProcess;
let slurm: SlurmCluster;
let dir = '';
const cli = (...args: string[]) => runCli(args, { url: server.url, cwd: dir });
const ok = (r: { code: number | null; stdout: string; stderr: string }): any => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

beforeAll(async () => {
  slurm = startSlurmCluster('hangar-slurm-ep-', 1);
  dir = tempDir('hangar-ep-slurm-');
  mkdirSync(join(dir, 'code'));
  writeFileSync(
    join(dir, 'code', 'score.py'),
    'import json, os\ndef init():\n    pass\ndef run(raw):\n    return {"sum": sum(json.loads(raw)["data"]), "slurm_job": os.environ.get("SLURM_JOB_ID")}\n',
  );
  server = await startServerProcess({
    config: {
      reconcileIntervalMs: 200,
      environmentAliases: [{ match: 'system-python', python: '/usr/bin/python3' }],
    },
  });
  ok(
    await cli(
      'compute',
      'attach',
      '--type',
      'slurm',
      '--name',
      'hpc-serve',
      '--partition',
      'debug',
      '--min-instances',
      '0',
      '--max-instances',
      '1',
      '--slurm-conf',
      slurm.conf,
    ),
  );
  await waitFor(
    async () =>
      (await api(server.url, 'GET', `${ws}/computes/hpc-serve`)).body.properties.provisioningState ===
      'Succeeded',
    'hpc-serve to be attached',
    30_000,
    100,
  );
}, 90_000);

afterAll(async () => {
  await detachCompute(server.url, 'hpc-serve');
  await server.stop();
  slurm.stop();
}, 60_000);

describe('a deployment whose replicas run in Slurm allocations', () => {
  it('serves from a replica job on the Slurm node and ends it when the deployment is deleted', async () => {
    ok(await cli('online-endpoint', 'create', '-n', 'slurm-ep'));
    const key = ok(await cli('online-endpoint', 'get-credentials', '-n', 'slurm-ep')).primaryKey as string;
    writeFileSync(
      join(dir, 'blue.yml'),
      `name: blue
endpoint_name: slurm-ep
compute: hpc-serve
instance_count: 1
code_configuration: { code: ./code, scoring_script: score.py }
environment: azureml:system-python:1
readiness_probe: { initial_delay: 0, period: 1 }
`,
    );
    ok(await cli('online-deployment', 'create', '-f', 'blue.yml', '--all-traffic'));
    const r = await fetch(`${server.url}/endpoints/slurm-ep/score`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: '{"data": [1, 2, 3]}',
    });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { sum: number; slurm_job: string | null };
    expect(body.sum).toBe(6);
    // The scoring host runs inside the allocation: Slurm's own variables reached it.
    expect(body.slurm_job).toMatch(/^[0-9]+$/);

    const shown = (await api(server.url, 'GET', `${ws}/onlineEndpoints/slurm-ep/deployments/blue`)).body;
    const jobs = (await api(server.url, 'GET', `${ws}/jobs?parentJobName=${shown.hangar.replicaJobsParent}`))
      .body.value as { name: string; properties: { status: string } }[];
    expect(jobs.map((j) => j.properties.status)).toEqual(['Running']);
    const nodes = (await api(server.url, 'GET', `${ws}/computes/hpc-serve/nodes`)).body.value as unknown[];
    expect(nodes).toHaveLength(1);

    ok(await cli('online-endpoint', 'update', '-n', 'slurm-ep', '--traffic', 'blue=0'));
    const del = await cli('online-deployment', 'delete', '-n', 'blue', '-e', 'slurm-ep', '--yes');
    expect(del.code, del.stderr).toBe(0);
    await waitFor(
      async () =>
        (await api(server.url, 'GET', `${ws}/jobs/${jobs[0]!.name}`)).body.properties.status === 'Canceled',
      'the replica job canceled',
      30_000,
    );
  });
});
