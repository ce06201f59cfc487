import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobFolder } from '../helpers/job-fixtures.js';
import { waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess;
const cli = (args: string[]) => runCli(args, { url: server.url });
const compute = async (name: string) => api(server.url, 'GET', `/api/workspaces/default/computes/${name}`);

beforeAll(async () => {
  server = await startServerProcess({
    config: {
      reconcileIntervalMs: 200,
      jobs: { heartbeatIntervalMs: 300, serverlessIdleSeconds: 1, serverlessDefaultSize: 'Standard_D2_v2' },
    },
  });
}, 60_000);

afterAll(async () => {
  const all = (await api(server.url, 'GET', '/api/workspaces/default/computes')).body.value as {
    name: string;
  }[];
  for (const c of all) await api(server.url, 'DELETE', `/api/workspaces/default/computes/${c.name}`);
  await waitFor(
    async () => (await api(server.url, 'GET', '/api/workspaces/default/computes')).body.value.length === 0,
    'the pools to go',
    30_000,
  );
  await server.stop();
});

describe('serverless jobs', () => {
  it('a job without compute: runs on the workspace pool, created on first use, which scales to zero', async () => {
    expect((await compute('serverless')).status).toBe(404);
    const yml = jobFolder({ command: 'echo serverless says hi' });
    const r = await cli(['job', 'create', '-f', yml, '--name', 'sls-1', '--stream']);
    expect(r.stderr).toContain('Completed');
    expect(r.stdout).toContain('serverless says hi');
    const job = (await api(server.url, 'GET', '/api/workspaces/default/jobs/sls-1')).body;
    expect(job.properties.computeId).toBe('serverless');
    const pool = (await compute('serverless')).body;
    expect(pool.properties.computeType).toBe('AmlCompute');
    expect(pool.properties.properties).toMatchObject({
      vmSize: 'Standard_D2_v2',
      vmPriority: 'Dedicated',
      scaleSettings: { minNodeCount: 0, maxNodeCount: 4, nodeIdleTimeBeforeScaleDown: 'PT1S' },
    });
    await waitFor(
      async () => (await compute('serverless')).body.properties.properties.currentNodeCount === 0,
      'the pool to scale to zero',
      60_000,
    );
    // A second job reuses the pool (compute: serverless as the SDK writes it).
    const again = jobFolder({ command: 'echo again', compute: 'azureml:serverless' });
    expect((await cli(['job', 'create', '-f', again, '--name', 'sls-2', '--stream'])).code).toBe(0);
    const names = (await api(server.url, 'GET', '/api/workspaces/default/computes')).body.value.map(
      (c: { name: string }) => c.name,
    );
    expect(names).toEqual(['serverless']);
  });

  it('queue_settings.job_tier spot runs on a low-priority pool of resources.instance_type', async () => {
    const yml = jobFolder({
      command: 'echo spot',
      resources: { instance_type: 'Standard_DS3_v2' },
      queue_settings: { job_tier: 'spot' },
    });
    expect((await cli(['job', 'create', '-f', yml, '--name', 'sls-spot', '--stream'])).code).toBe(0);
    const job = (await api(server.url, 'GET', '/api/workspaces/default/jobs/sls-spot')).body;
    expect(job.properties.computeId).toBe('sls-standard-ds3-v2-lp');
    expect((await compute('sls-standard-ds3-v2-lp')).body.properties.properties).toMatchObject({
      vmSize: 'Standard_DS3_v2',
      vmPriority: 'LowPriority',
    });
  });

  it('an instance_type the catalogue lacks is refused naming resources.instance_type', async () => {
    const r = await api(server.url, 'PUT', '/api/workspaces/default/jobs/sls-bad', {
      spec: { command: 'true', resources: { instance_type: 'Standard_Nope_v9' } },
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'ValidationFailed', target: 'resources.instance_type' });
    expect(r.body.error.message).toContain("'Standard_Nope_v9'");
    expect((await compute('sls-standard-nope-v9')).status).toBe(404);
  });

  it('a job refused for any other reason leaves no pool behind', async () => {
    // The pool of Standard_DS2_v2 does not exist yet; each job below is refused after the pool is known.
    const bad = [
      { command: 'echo ${{inputs.missing}}', resources: { instance_type: 'Standard_DS2_v2' } },
      { command: 'true', resources: { instance_type: 'Standard_DS2_v2', instance_count: 9 } },
    ];
    for (const [i, spec] of bad.entries()) {
      const r = await api(server.url, 'PUT', `/api/workspaces/default/jobs/sls-refused-${i}`, { spec });
      expect([400, 422]).toContain(r.status);
      expect(r.body.error.target).toMatch(/^(command|resources\.instance_count)$/);
    }
    expect((await compute('sls-standard-ds2-v2')).status).toBe(404);
  });
});
