import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCluster, jobFolder } from '../helpers/job-fixtures.js';
import { waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, serverFetch, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess;
const cli = (args: string[]) => runCli(args, { url: server.url });
const job = async (name: string) =>
  (await api(server.url, 'GET', `/api/workspaces/default/jobs/${name}`)).body;
const log = async (name: string) =>
  (await serverFetch(`${server.url}/api/workspaces/default/jobs/${name}/logs`)).text();

beforeAll(async () => {
  server = await startServerProcess({
    config: {
      reconcileIntervalMs: 200,
      jobs: { heartbeatIntervalMs: 300 },
      environmentAliases: [{ match: 'AzureML-lightgbm-3.3', python: '/usr/bin/python3' }],
    },
  });
  await createCluster(server.url, 'curated', 0, 1);
}, 60_000);

afterAll(async () => {
  await api(server.url, 'DELETE', '/api/workspaces/default/computes/curated');
  await waitFor(
    async () => (await api(server.url, 'GET', '/api/workspaces/default/computes')).body.value.length === 0,
    'the cluster to go',
    30_000,
  );
  await server.stop();
});

describe('curated environments out of the box', () => {
  it('azureml:AzureML-sklearn-1.5@latest runs on the node Python with scikit-learn, saying so', async () => {
    const yml = jobFolder({
      command: 'python -c "import sklearn, sys; print(\'sklearn\', sklearn.__version__, sys.prefix)"',
      compute: 'azureml:curated',
      environment: 'azureml:AzureML-sklearn-1.5@latest',
    });
    const r = await cli(['job', 'create', '-f', yml, '--name', 'curated-sklearn', '--stream']);
    expect(r.stderr).toContain('Completed');
    expect(r.stdout).toMatch(/sklearn \d+\.\d+/);
    const env = (await job('curated-sklearn')).properties.environmentId as string;
    expect(env).toContain(
      'azureml:AzureML-sklearn-1.5@latest (curated scikit-learn environment: substituted by',
    );
    expect(env).toContain('scikit-learn, numpy, scipy, joblib');
    // The substitution is also an event on the job, as Azure users read what happened to a run.
    const events = JSON.parse(
      (await cli(['job', 'events', '-n', 'curated-sklearn', '-o', 'json'])).stdout,
    ) as {
      reason: string;
      message: string;
    }[];
    expect(events).toContainEqual(
      expect.objectContaining({ reason: 'EnvironmentSubstituted', message: `environment: ${env}` }),
    );
  });

  it('the registry URI and library/python images resolve too', async () => {
    const registry = jobFolder({
      command: 'python -c "import sklearn; print(\'ok\')"',
      compute: 'curated',
      environment: 'azureml://registries/azureml/environments/sklearn-1.5/labels/latest',
    });
    expect(
      (await cli(['job', 'create', '-f', registry, '--name', 'curated-registry', '--stream'])).code,
    ).toBe(0);
    expect(await log('curated-registry')).toContain('ok');

    const python = jobFolder({
      command: 'python -c "import sys; print(\'python\', sys.version_info[0])"',
      compute: 'curated',
      environment: { image: 'library/python:3.10' },
    });
    expect((await cli(['job', 'create', '-f', python, '--name', 'curated-python', '--stream'])).code).toBe(0);
    expect(await log('curated-python')).toContain('python 3');
    expect((await job('curated-python')).properties.environmentId).toBe(
      "image library/python:3.10 (substituted by the node's Python; the image has Python 3.10)",
    );
  });

  it("an operator's alias overrides the catalogue; an unknown curated name is refused naming environment", async () => {
    const aliased = jobFolder({
      command: 'python -c "print(1)"',
      compute: 'curated',
      environment: 'azureml:AzureML-lightgbm-3.3@latest',
    });
    expect((await cli(['job', 'create', '-f', aliased, '--name', 'curated-alias'])).code).toBe(0);
    expect((await job('curated-alias')).properties.environmentId).toBe(
      'AzureML-lightgbm-3.3@latest (aliased to /usr/bin/python3)',
    );
    // What the operator chose is no substitution: no event.
    expect(JSON.parse((await cli(['job', 'events', '-n', 'curated-alias', '-o', 'json'])).stdout)).toEqual(
      [],
    );
    const unknown = await api(server.url, 'PUT', '/api/workspaces/default/jobs/curated-unknown', {
      spec: { command: 'true', compute: 'curated', environment: 'azureml:AzureML-AutoML@latest' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 'EnvironmentNotResolvable', target: 'environment' });
  });
});
