import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyWheel, createCluster, jobFolder, waitForEnd, waitForJob } from '../helpers/job-fixtures.js';
import { tempDir, waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess, serverFetch } from '../helpers/server-process.js';

let server: ServerProcess;
const cli = (args: string[]) => runCli(args, { url: server.url });
const condaFile = (pip: string[]) =>
  `name: tiny\nchannels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n${pip.map((p) => `    - ${p}\n`).join('')}`;
const log = async (name: string, file: string) =>
  (await serverFetch(`${server.url}/api/workspaces/default/jobs/${name}/logs?file=${file}`)).text();

beforeAll(async () => {
  server = await startServerProcess({
    config: {
      reconcileIntervalMs: 200,
      jobs: { heartbeatIntervalMs: 300, pipFindLinks: buildTinyWheel() },
      environmentAliases: [{ match: 'AzureML-sklearn-1.0-ubuntu20.04-py38-cpu', python: '/usr/bin/python3' }],
    },
  });
  await createCluster(server.url, 'env-cluster', 1, 1);
}, 120_000);

afterAll(async () => {
  await api(server.url, 'DELETE', '/api/workspaces/default/computes/env-cluster');
  await api(server.url, 'DELETE', '/api/workspaces/default/computes/dev-box');
  await waitFor(
    async () =>
      (await api(server.url, 'GET', '/api/workspaces/default/computes?$top=10')).body.value.length === 0,
    'computes to go',
    30_000,
  );
  await server.stop();
});

describe('environments', () => {
  it('builds a registered conda environment as a venv from a local wheel folder, once per node', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'conda.yml'), condaFile(['tinypkg==0.1']));
    writeFileSync(
      join(dir, 'env.yml'),
      'name: tiny-env\nversion: 1\nimage: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04\nconda_file: conda.yml\n',
    );
    const created = await cli(['environment', 'create', '-f', join(dir, 'env.yml'), '--set', 'image=null']);
    expect(created.code, created.stderr).toBe(0);
    expect((await cli(['environment', 'list', '-o', 'table'])).stdout).toMatch(/tiny-env\s+1\s+conda/);
    const yml = jobFolder({
      command: 'python -c "import tinypkg, sys; print(\'VALUE\', tinypkg.VALUE, sys.prefix)"',
      compute: 'env-cluster',
      environment: 'azureml:tiny-env:1',
    });
    const first = await cli(['job', 'create', '-f', yml, '--name', 'venv-1', '--stream']);
    expect(first.stdout, first.stderr).toContain('VALUE 42');
    expect(await log('venv-1', 'system_logs/agent.txt')).toContain('building venv');
    const second = await cli([
      'job',
      'create',
      '-f',
      yml,
      '--name',
      'venv-2',
      '--set',
      'environment=tiny-env@latest',
      '--stream',
    ]);
    expect(second.stdout).toContain('VALUE 42');
    const sys2 = await log('venv-2', 'system_logs/agent.txt');
    expect(sys2).toContain('reusing venv');
    expect(sys2).not.toContain('building venv');
  });

  it("a requirement pip cannot satisfy fails the job with pip's error", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'conda.yml'), condaFile(['no-such-package-xyz==9.9']));
    const yml = jobFolder({
      command: 'python -c "print(1)"',
      compute: 'env-cluster',
      environment: { conda_file: join(dir, 'conda.yml') },
    });
    await cli(['job', 'create', '-f', yml, '--name', 'bad-pip']);
    const job = await waitForEnd(server.url, 'bad-pip', 120_000);
    expect(job.properties.status).toBe('Failed');
    expect(job.properties.error.message).toContain('pip install failed');
    expect(job.properties.error.message).toMatch(/no-such-package-xyz/i);
  });

  it('curated Azure environments resolve through operator aliases; names outside the catalogue are refused before queueing', async () => {
    const ok = jobFolder({
      command: 'python -c "import sklearn, sys; print(sys.executable, sklearn.__name__)"',
      compute: 'env-cluster',
      environment: 'azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:3',
    });
    const run = await cli(['job', 'create', '-f', ok, '--name', 'curated', '--stream']);
    expect(run.stdout).toContain('sklearn');
    const bad = jobFolder({
      command: 'python -c 1',
      compute: 'env-cluster',
      // Not in the built-in curated catalogue (curated-environments.ts): only an alias or a registration can stand in.
      environment: 'azureml:AzureML-Designer-Score:1',
    });
    const refused = await cli(['job', 'create', '-f', bad]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('EnvironmentNotResolvable');
    expect(refused.stderr).toContain('AzureML-Designer-Score');
    expect(refused.stderr).toContain('environmentAliases');
  });

  it('an image on a node without a container runtime fails with a message naming the node and what is missing', async () => {
    const yml = jobFolder({
      command: 'python -c 1',
      compute: 'env-cluster',
      // Not python:… nor an Azure ML image, which the curated catalogue substitutes by the node's Python.
      environment: { image: 'ghcr.io/example/trainer:latest' },
    });
    await cli(['job', 'create', '-f', yml, '--name', 'needs-image']);
    const job = await waitForEnd(server.url, 'needs-image');
    expect(job.properties.status).toBe('Failed');
    expect(job.properties.error.message).toMatch(
      /node .+ has no container runtime \(podman or docker\) to run image ghcr.io\/example\/trainer:latest/,
    );
  });

  it('invalid job specs are refused with every problem named, before anything runs', async () => {
    const yml = jobFolder({
      command: 'echo ${{inputs.missing}}',
      compute: 'env-cluster',
      inputs: { lr: 0.1 },
      limits: { timeout: -1 },
      bogus_field: 1,
    });
    const r = await cli(['job', 'create', '-f', yml]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('bogus_field');
    expect(r.stderr).toContain('limits.timeout');
    const tmpl = jobFolder({
      command: 'echo ${{inputs.missing}}',
      compute: 'env-cluster',
      inputs: { lr: 0.1 },
    });
    const r2 = await cli(['job', 'create', '-f', tmpl]);
    expect(r2.stderr).toContain("'${{inputs.missing}}' names no input; defined inputs: lr");
    const nocompute = jobFolder({ command: 'echo', compute: 'azureml:nope' });
    expect((await cli(['job', 'create', '-f', nocompute])).stderr).toContain("'nope' does not exist");
  });

  it('an instance runs jobs in parallel up to its vCPUs and says why the others wait', async () => {
    const put = await api(server.url, 'PUT', '/api/workspaces/default/computes/dev-box', {
      properties: { computeType: 'ComputeInstance', properties: { vmSize: 'Standard_D1_v2' } },
    });
    expect(put.status).toBe(201);
    // The first job holds the slot until it is canceled, so a loaded machine cannot end it early.
    const holder = jobFolder({ command: 'sleep 120', compute: 'dev-box' });
    await cli(['job', 'create', '-f', holder, '--name', 'slot-1']);
    await waitForJob(server.url, 'slot-1', (j) => j.properties.status === 'Running', 'to run', 60_000);
    await cli([
      'job',
      'create',
      '-f',
      jobFolder({ command: 'echo done', compute: 'dev-box' }),
      '--name',
      'slot-2',
    ]);
    const waiting = await waitForJob(
      server.url,
      'slot-2',
      (j) => String(j.properties.statusReason ?? '').startsWith('waiting for a free slot'),
      'to wait',
    );
    expect(waiting.properties.statusReason).toBe('waiting for a free slot on dev-box (1/1 busy)');
    const table = await cli(['job', 'list', '-o', 'table']);
    expect(table.stdout).toContain('waiting for a free slot on dev-box (1/1 busy)');
    await cli(['job', 'cancel', '-n', 'slot-1']);
    expect((await waitForEnd(server.url, 'slot-2')).properties.status).toBe('Completed');
  });
});
