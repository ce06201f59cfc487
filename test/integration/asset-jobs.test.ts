import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCluster, jobFolder, waitForEnd } from '../helpers/job-fixtures.js';
import { tempDir, waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess;
let files: Server;
let filesUrl: string;
/** What the test's http server sent: full bodies, and 304s to revalidations. */
const served = { full: 0, notModified: 0 };
const cli = (args: string[]) => runCli(args, { url: server.url });

/** Every file under `dir`, by relative path. */
function tree(dir: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(dir, rel))) {
    const path = rel ? `${rel}/${name}` : name;
    if (statSync(join(dir, path)).isDirectory()) Object.assign(out, tree(dir, path));
    else out[path] = readFileSync(join(dir, path), 'utf8');
  }
  return out;
}

async function submit(name: string, spec: Record<string, unknown>, files: Record<string, string> = {}) {
  return cli(['job', 'create', '-f', jobFolder({ compute: 'azureml:cpu', ...spec }, files), '--name', name]);
}

async function run(
  name: string,
  spec: Record<string, unknown>,
  files: Record<string, string> = {},
): Promise<any> {
  const r = await submit(name, spec, files);
  expect(r.code, r.stderr).toBe(0);
  return waitForEnd(server.url, name, 120_000);
}

async function log(name: string): Promise<string> {
  return (await cli(['job', 'stream', '-n', name])).stdout;
}

beforeAll(async () => {
  files = createServer((req, res) => {
    if (req.headers['if-none-match'] === '"w1"') {
      served.notModified++;
      res.writeHead(304).end();
      return;
    }
    served.full++;
    res.writeHead(200, { etag: '"w1"' }).end('remote weights\n');
  });
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  server = await startServerProcess({
    config: { reconcileIntervalMs: 200, jobs: { heartbeatIntervalMs: 300, cancelGraceSeconds: 2 } },
  });
  // One node: the second https job runs where the first one cached the file.
  await createCluster(server.url, 'cpu', 1, 1);
}, 120_000);

afterAll(async () => {
  await api(server.url, 'DELETE', '/api/workspaces/default/computes/cpu');
  await waitFor(
    async () => (await api(server.url, 'GET', '/api/workspaces/default/computes/cpu')).status === 404,
    'the cluster to go',
    30_000,
  );
  await server.stop();
  await new Promise<void>((r) => files.close(() => r()));
});

describe('jobs reading and writing assets (real server, agent, bubblewrap, CLI)', () => {
  it('reads data by @latest in ro_mount (read-only) and download modes; registers its output as a model', async () => {
    const folder = tempDir('hangar-data-');
    mkdirSync(join(folder, 'sub'));
    writeFileSync(join(folder, 'a.txt'), 'hello data\n');
    writeFileSync(join(folder, 'sub', 'b.txt'), 'bee\n');
    const made = await cli(['data', 'create', '-n', 'training', '-p', folder, '-t', 'uri_folder']);
    expect(made.code, made.stderr).toBe(0);

    const ro = await run('ro-job', {
      command:
        'cat ${{inputs.d}}/a.txt > ${{outputs.model}}/model.txt && cp ${{inputs.d}}/sub/b.txt ${{outputs.model}}/ && if touch ${{inputs.d}}/new 2>/dev/null; then echo WRITABLE; exit 7; fi; echo readonly-ok',
      inputs: { d: { type: 'uri_folder', path: 'azureml:training@latest', mode: 'ro_mount' } },
      outputs: { model: { type: 'custom_model', name: 'trained' } },
    });
    expect(ro.properties.status, JSON.stringify(ro.properties.error)).toBe('Completed');
    expect(await log('ro-job')).toContain('readonly-ok');
    expect(tree(folder)).toEqual({ 'a.txt': 'hello data\n', 'sub/b.txt': 'bee\n' });

    // Beside it, a local file uploaded with the job and mounted read-only.
    const dl = await run(
      'download-job',
      {
        command:
          'touch ${{inputs.d}}/new && cat ${{inputs.d}}/sub/b.txt ${{inputs.p}} ${{inputs.m}}/model.txt',
        inputs: {
          d: { type: 'uri_folder', path: 'azureml:training@latest', mode: 'download' },
          p: { type: 'uri_file', path: 'src/params.txt', mode: 'ro_mount' },
          m: { type: 'custom_model', path: 'azureml:trained:1', mode: 'ro_mount' },
        },
      },
      { 'params.txt': 'local param\n' },
    );
    expect(dl.properties.status).toBe('Completed');
    expect(dl.properties.renderedCommand).toContain('inputs/p/params.txt');
    const dlLog = await log('download-job');
    expect(dlLog).toContain('bee');
    expect(dlLog).toContain('local param');
    expect(dlLog).toContain('hello data');

    // Lineage on the job, and the model's bytes downloaded elsewhere.
    const shown = await cli(['job', 'show', '-n', 'ro-job', '-o', 'json']);
    expect(JSON.parse(shown.stdout).lineage).toEqual({
      inputs: { d: 'azureml:training:1' },
      outputs: { model: 'azureml:trained:1' },
    });
    const dest = tempDir('hangar-model-');
    const got = await cli(['model', 'download', '-n', 'trained', '-v', '1', '-p', dest]);
    expect(got.code, got.stderr).toBe(0);
    expect(Object.values(tree(dest)).sort()).toEqual(['bee\n', 'hello data\n']);
    const wrote = await cli(['model', 'lineage', '-n', 'trained', '-v', '1', '-o', 'json']);
    expect(wrote.code, wrote.stderr).toBe(0);
    expect(JSON.parse(wrote.stdout)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ job: 'ro-job', direction: 'output', port: 'model' }),
        expect.objectContaining({ job: 'download-job', direction: 'input', port: 'm' }),
      ]),
    );
    const edges = await api(server.url, 'GET', '/api/workspaces/default/data/training/versions/1/jobs');
    expect(edges.body.value).toEqual(
      expect.arrayContaining([expect.objectContaining({ job: 'ro-job', direction: 'input', port: 'd' })]),
    );
  }, 300_000);

  it('downloads an https file on the node once; the next job revalidates it from the cache', async () => {
    const spec = (path: string) => ({
      command: 'cat ${{inputs.w}}',
      inputs: { w: { type: 'uri_file', path } },
    });
    const first = await run('https-1', spec(`${filesUrl}/models/weights.txt`));
    expect(first.properties.status).toBe('Completed');
    const second = await run('https-2', spec(`${filesUrl}/models/weights.txt`));
    expect(second.properties.status).toBe('Completed');
    expect(await log('https-2')).toContain('remote weights');
    expect(served).toEqual({ full: 1, notModified: 1 });
    const folder = await submit('https-folder', {
      command: 'ls ${{inputs.w}}',
      inputs: { w: { type: 'uri_folder', path: `${filesUrl}/models/` } },
    });
    expect(folder.code).not.toBe(0);
    expect(folder.stderr).toContain('inputs.w.path');
    expect(folder.stderr).toContain('cannot be listed over plain HTTP');
  }, 300_000);

  it('mounts a datastore folder read-only or writable, and refuses a path the nodes do not have', async () => {
    const shared = tempDir('hangar-datastore-');
    mkdirSync(join(shared, 'set'));
    writeFileSync(join(shared, 'set', 'x.txt'), 'shared x\n');
    // A shared folder jobs write to must be writable by the job user (hangar-job under a root agent).
    chmodSync(join(shared, 'set'), 0o777);
    const ds = await api(server.url, 'PUT', '/api/workspaces/default/datastores/shared', {
      properties: { datastoreType: 'HangarPath', path: shared },
    });
    expect(ds.status, JSON.stringify(ds.body)).toBeLessThan(300);
    const ro = await run('ds-ro', {
      command: 'cat ${{inputs.d}}/x.txt; touch ${{inputs.d}}/y 2>/dev/null && exit 7; echo ro-ok',
      inputs: { d: { type: 'uri_folder', path: 'azureml://datastores/shared/paths/set' } },
    });
    expect(ro.properties.status).toBe('Completed');
    expect(await log('ds-ro')).toContain('shared x');
    const rw = await run('ds-rw', {
      command: 'echo written > ${{inputs.d}}/from-job.txt',
      inputs: { d: { type: 'uri_folder', path: 'azureml://datastores/shared/paths/set', mode: 'rw_mount' } },
    });
    expect(rw.properties.status).toBe('Completed');
    expect(readFileSync(join(shared, 'set', 'from-job.txt'), 'utf8')).toBe('written\n');
    const direct = await run('ds-direct', {
      command: 'echo "uri=${{inputs.d}}"',
      inputs: { d: { type: 'uri_folder', path: 'azureml://datastores/shared/paths/set', mode: 'direct' } },
    });
    expect(await log(direct.name)).toContain(`uri=${join(shared, 'set')}`);
    const gone = await submit('ds-gone', {
      command: 'ls ${{inputs.d}}',
      inputs: { d: { type: 'uri_folder', path: 'azureml://datastores/shared/paths/nothing-here' } },
    });
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain('inputs.d.path');
    expect(gone.stderr).toContain('does not exist');
  }, 300_000);

  it('refuses Azure storage, unknown versions and Azure datastores at submission, naming the input', async () => {
    const wasbs = await submit('refused-1', {
      command: 'ls ${{inputs.d}}',
      inputs: { d: { type: 'uri_folder', path: 'wasbs://c@acct.blob.core.windows.net/data' } },
    });
    expect(wasbs.code).not.toBe(0);
    expect(wasbs.stderr).toContain('inputs.d.path');
    expect(wasbs.stderr).toContain('Azure Blob storage');

    const unknown = await submit('refused-2', {
      command: 'ls ${{inputs.d}}',
      inputs: { d: { type: 'uri_folder', path: 'azureml:training:9' } },
    });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('inputs.d.path');
    expect(unknown.stderr).toMatch(/versions?[^\n]*\b1\b/);

    const azure = await api(server.url, 'PUT', '/api/workspaces/default/datastores/azblob', {
      properties: { datastoreType: 'AzureBlob', accountName: 'acct', containerName: 'c' },
    });
    expect(azure.status, JSON.stringify(azure.body)).toBeLessThan(300);
    const onAzure = await submit('refused-3', {
      command: 'ls ${{inputs.d}}',
      inputs: { d: { type: 'uri_folder', path: 'azureml://datastores/azblob/paths/data' } },
    });
    expect(onAzure.code).not.toBe(0);
    expect(onAzure.stderr).toContain('inputs.d.path');
    expect(onAzure.stderr).toContain('azblob');
    for (const name of ['refused-1', 'refused-2', 'refused-3'])
      expect((await api(server.url, 'GET', `/api/workspaces/default/jobs/${name}`)).status).toBe(404);
  }, 120_000);
});
