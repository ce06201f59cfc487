import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobFolder } from '../helpers/job-fixtures.js';
import { tempDir, waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { detachCompute, startSlurmCluster, type SlurmCluster } from '../helpers/slurm-cluster.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// A hangar_path datastore and a real Slurm cluster (scripts/slurm-cluster.sh, one slurmd on this
// host): attaching checks which datastore folders the cluster reaches where its commands run, and
// a job naming a path the cluster does not have is refused when submitted, not on an allocation.
let server: ServerProcess;
let slurm: SlurmCluster;
let share: string;
const cli = (...args: string[]) => runCli(args, { url: server.url });

beforeAll(async () => {
  slurm = startSlurmCluster('hangar-slurm-ds-', 1);
  share = tempDir('hangar-share-');
  chmodSync(share, 0o755);
  mkdirSync(join(share, 'train'));
  writeFileSync(join(share, 'train', 'a.txt'), 'alpha\n');
  server = await startServerProcess({ config: { reconcileIntervalMs: 200 } });
  const ds = await api(server.url, 'PUT', '/api/workspaces/default/datastores/shared', {
    properties: { datastoreType: 'HangarPath', path: share },
  });
  expect(ds.status, JSON.stringify(ds.body)).toBeLessThan(300);
  const attached = await cli(
    'compute',
    'attach',
    '--type',
    'slurm',
    '--name',
    'hpc-ds',
    '--partition',
    'debug',
    '--min-instances',
    '0',
    '--max-instances',
    '1',
    '--slurm-conf',
    slurm.conf,
  );
  expect(attached.code, attached.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  await detachCompute(server.url, 'hpc-ds');
  await server.stop();
  slurm.stop();
}, 60_000);

describe('a datastore used from a Slurm cluster', () => {
  it('is checked when the cluster is attached, and a path it lacks is refused at submission', async () => {
    const c = await waitFor(
      async () => {
        const body = (await api(server.url, 'GET', '/api/workspaces/default/computes/hpc-ds')).body;
        return ['Succeeded', 'Failed'].includes(body.properties.provisioningState) ? body : undefined;
      },
      'hpc-ds to settle',
      30_000,
      100,
    );
    expect(c.properties.provisioningState, JSON.stringify(c.properties.provisioningErrors)).toBe('Succeeded');
    expect(c.properties.properties.datastores).toEqual({ shared: 'reachable' });

    const job = jobFolder({
      compute: 'hpc-ds',
      command: 'ls ${{inputs.d}}',
      inputs: { d: { type: 'uri_folder', path: 'azureml://datastores/shared/paths/not-here' } },
    });
    const r = await cli('job', 'create', '-f', job, '--name', 'slurm-ds-missing');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      `inputs.d.path: 'azureml://datastores/shared/paths/not-here' is ${join(share, 'not-here')}, which compute 'hpc-ds' (a Slurm cluster, checked on this host) cannot reach`,
    );
    expect((await api(server.url, 'GET', '/api/workspaces/default/jobs/slurm-ds-missing')).status).toBe(404);
  }, 60_000);
});
