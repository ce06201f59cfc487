import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobFolder } from '../helpers/job-fixtures.js';
import { tempDir, waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// What global reads show: only what the caller has a role on. Workspace A is rita's (Reader) and
// carl's (Contributor); workspace B is bea's (Reader), and its job's files are B's.
let server: ServerProcess;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};
const as = (who: string, method: string, path: string, body?: unknown) =>
  api(server.url, method, path, body, tokens[who]);
let codeId = '';
let outputsId = '';
const trainPy = 'print("the secret recipe")\n';
const trainSha = createHash('sha256').update(trainPy).digest('hex');

async function user(name: string, role: string, scope: string): Promise<void> {
  const made = await api(server.url, 'POST', '/api/users', { name });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  ids[name] = made.body.id;
  tokens[name] = (
    await api(server.url, 'POST', `/api/users/${name}/tokens`, { name: 'test', expiresInDays: 1 })
  ).body.token;
  expect(
    (await api(server.url, 'POST', '/api/roleAssignments', { principalId: name, roleName: role, scope }))
      .status,
  ).toBe(201);
}

beforeAll(async () => {
  server = await startServerProcess({
    config: { reconcileIntervalMs: 200, jobs: { heartbeatIntervalMs: 300 } },
  });
  for (const ws of ['scopea', 'scopeb'])
    expect((await api(server.url, 'PUT', `/api/workspaces/${ws}`, { location: 'local' })).status).toBe(201);
  await user('rita', 'Reader', '/workspaces/scopea');
  await user('carl', 'Contributor', '/workspaces/scopea');
  await user('bea', 'Reader', '/workspaces/scopeb');
  const cluster = await api(server.url, 'PUT', '/api/workspaces/scopeb/computes/cpu-b', {
    properties: {
      computeType: 'AmlCompute',
      properties: { vmSize: 'STANDARD_D2_V2', scaleSettings: { minNodeCount: 0, maxNodeCount: 1 } },
    },
  });
  expect(cluster.status).toBe(201);
  const yml = jobFolder(
    { command: 'echo 42 > "$HANGAR_OUTPUTS_DIR/answer.txt"', compute: 'azureml:cpu-b' },
    { 'train.py': trainPy },
  );
  const run = await runCli(['job', 'create', '-f', yml, '--name', 'secret-job', '-w', 'scopeb', '--stream'], {
    url: server.url,
  });
  expect(run.code, run.stderr + run.stdout).toBe(0);
  const job = (await api(server.url, 'GET', '/api/workspaces/scopeb/jobs/secret-job')).body.properties;
  expect(job.status).toBe('Completed');
  codeId = job.codeId;
  outputsId = job.outputsSnapshotId;
  expect(codeId).toMatch(/^[0-9a-f]{64}$/);
  expect(outputsId).toMatch(/^[0-9a-f]{64}$/);
}, 180_000);

afterAll(async () => {
  await api(server.url, 'DELETE', '/api/workspaces/scopeb/computes/cpu-b');
  await waitFor(
    async () => (await api(server.url, 'GET', '/api/workspaces/scopeb/computes/cpu-b')).status === 404,
    'the cluster to go',
    30_000,
  );
  await server.stop();
}, 60_000);

describe('global lists show what the caller has a role on', () => {
  it('workspaces: a Reader of A sees only A; the admin sees every one', async () => {
    const rita = await as('rita', 'GET', '/api/workspaces');
    expect(rita.status).toBe(200);
    expect(rita.body.value.map((w: { name: string }) => w.name)).toEqual(['scopea']);
    expect((await as('bea', 'GET', '/api/workspaces?$top=1')).body).toEqual({
      value: [expect.objectContaining({ name: 'scopeb' })],
    });
    const all = (await api(server.url, 'GET', '/api/workspaces')).body.value.map(
      (w: { name: string }) => w.name,
    );
    expect(all).toEqual(expect.arrayContaining(['default', 'scopea', 'scopeb']));
  });

  it('role assignments: those at, below and inherited above A, not those on B; the admin sees all', async () => {
    const seen = (await as('rita', 'GET', '/api/roleAssignments')).body.value as {
      principalId: string;
      scope: string;
    }[];
    const pairs = seen.map((a) => `${a.principalId}@${a.scope}`);
    expect(pairs).toEqual(
      expect.arrayContaining([
        `${ids.rita ?? ''}@/workspaces/scopea`,
        `${ids.carl ?? ''}@/workspaces/scopea`,
      ]),
    );
    // The admin's Owner at / applies to A too, as Azure shows inherited assignments.
    expect(seen.some((a) => a.scope === '/')).toBe(true);
    expect(seen.filter((a) => a.scope.startsWith('/workspaces/scopeb'))).toEqual([]);
    expect(pairs).not.toContain(`${ids.bea ?? ''}@/workspaces/scopeb`);
    expect((await as('rita', 'GET', '/api/roleAssignments?scope=/workspaces/scopeb')).body.value).toEqual([]);
    const admin = (await api(server.url, 'GET', '/api/roleAssignments')).body.value as {
      principalId: string;
    }[];
    expect(admin.map((a) => a.principalId)).toEqual(expect.arrayContaining([ids.rita, ids.carl, ids.bea]));
  });
});

describe('snapshots and blobs are read through a job the caller may read', () => {
  it("a user with no role on B gets 404 for its job's snapshots and blobs, as for ones that do not exist", async () => {
    for (const id of [codeId, outputsId]) {
      const r = await as('rita', 'GET', `/api/snapshots/${id}`);
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('NotFound');
    }
    const missing = await as('rita', 'GET', `/api/snapshots/${'e'.repeat(64)}`);
    expect(missing.status).toBe(404);
    // The same words either way: whether it exists does not leak.
    expect(
      (await as('rita', 'GET', `/api/snapshots/${codeId}`)).body.error.message.replace(codeId, 'X'),
    ).toBe(missing.body.error.message.replace('e'.repeat(64), 'X'));
    const blob = await fetch(`${server.url}/api/blobs/${trainSha}?snapshot=${codeId}`, {
      headers: { authorization: `Bearer ${tokens.rita ?? ''}` },
    });
    expect(blob.status).toBe(404);
    expect(await blob.text()).not.toContain('secret recipe');
    // Without the snapshot it belongs to, a user cannot ask for a blob at all.
    const bare = await as('rita', 'GET', `/api/blobs/${trainSha}`);
    expect(bare.status).toBe(400);
    expect(bare.body.error).toMatchObject({ code: 'ValidationFailed', target: 'snapshot' });
  });

  it('a Reader of B reads them, blob by blob through its snapshot, and `hangar job download` works for her', async () => {
    const manifest = await as('bea', 'GET', `/api/snapshots/${codeId}`);
    expect(manifest.status).toBe(200);
    expect(manifest.body.entries).toContainEqual(
      expect.objectContaining({ path: 'train.py', sha256: trainSha }),
    );
    const blob = await fetch(`${server.url}/api/blobs/${trainSha}?snapshot=${codeId}`, {
      headers: { authorization: `Bearer ${tokens.bea ?? ''}` },
    });
    expect(blob.status).toBe(200);
    expect(await blob.text()).toBe(trainPy);
    // A snapshot she may read does not open a blob it does not hold.
    expect((await as('bea', 'GET', `/api/blobs/${trainSha}?snapshot=${outputsId}`)).status).toBe(404);
    const out = tempDir();
    const dl = await runCli(
      ['job', 'download', '-n', 'secret-job', '-w', 'scopeb', '--all', '--download-path', out],
      { url: server.url, env: { HANGAR_TOKEN: tokens.bea ?? '' } },
    );
    expect(dl.code, dl.stderr).toBe(0);
    expect(readFileSync(join(out, 'secret-job', 'outputs', 'answer.txt'), 'utf8')).toBe('42\n');
    expect(readFileSync(join(out, 'secret-job', 'code', 'train.py'), 'utf8')).toBe(trainPy);
  });

  it('an uploader validates and uploads as before; its snapshot becomes readable once its job names it', async () => {
    const bytes = Buffer.from('carl was here\n');
    const sha = createHash('sha256').update(bytes).digest('hex');
    const manifest = {
      version: 1,
      entries: [{ path: 'note.txt', kind: 'file', sha256: sha, size: bytes.length, mode: 0o644 }],
    };
    expect((await as('carl', 'POST', '/api/snapshots/validate', manifest)).status).toBe(200);
    expect((await as('carl', 'POST', '/api/blobs/missing', { hashes: [sha] })).body.missing).toEqual([sha]);
    const put = await fetch(`${server.url}/api/blobs/${sha}`, {
      method: 'PUT',
      body: bytes,
      headers: { authorization: `Bearer ${tokens.carl ?? ''}`, 'content-type': 'application/octet-stream' },
    });
    expect(put.status).toBe(204);
    const stored = await as('carl', 'PUT', '/api/snapshots', manifest);
    expect(stored.status).toBe(200);
    const id = stored.body.id as string;
    expect((await as('carl', 'GET', `/api/snapshots/${id}`)).status).toBe(404);
    const job = await as('carl', 'PUT', '/api/workspaces/scopea/jobs/carls-job', {
      spec: { command: 'cat note.txt', compute: 'local', code: 'src' },
      codeSnapshotId: id,
    });
    expect(job.status, JSON.stringify(job.body)).toBe(201);
    expect((await as('carl', 'GET', `/api/snapshots/${id}`)).status).toBe(200);
    expect((await as('rita', 'GET', `/api/snapshots/${id}`)).status).toBe(200);
    expect((await as('bea', 'GET', `/api/snapshots/${id}`)).status).toBe(404);
  });
});

describe('the OpenAPI document says who may call each operation', () => {
  it('marks public, self, node, root and scoped operations, and the server agrees', async () => {
    const doc = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, any>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    const op = (path: string, method: string): any => doc.paths[path]?.[method];
    expect(op('/api/health', 'get')).toMatchObject({ 'x-hangar-access': 'public', security: [] });
    expect(op('/api/auth/login', 'post')).toMatchObject({ 'x-hangar-access': 'public', security: [] });
    expect(op('/api/auth/me', 'get')['x-hangar-access']).toBe('self');
    expect(op('/api/auth/tokens', 'post')['x-hangar-access']).toBe('self');
    expect(op('/api/users', 'get')['x-hangar-access']).toBe('root');
    expect(op('/api/audit', 'get')['x-hangar-access']).toBe('root');
    expect(op('/api/agent/heartbeat', 'post')).toMatchObject({
      'x-hangar-access': 'node',
      security: [{ nodeToken: [] }],
    });
    expect(op('/api/workspaces/{workspace}/computes/{name}', 'patch')).toMatchObject({
      'x-hangar-access': 'scope',
      'x-hangar-scope': '/workspaces/{workspace}/computes/{name}',
    });
    expect(op('/api/workspaces/{workspace}/jobs', 'get')).toMatchObject({
      'x-hangar-access': 'scope',
      'x-hangar-scope': '/workspaces/{workspace}',
    });
    expect(op('/api/snapshots/{id}', 'get')['x-hangar-access']).toBe('anywhere');
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['bearer', 'nodeToken', 'session']);
    // Against the server: only operations marked public get past the credential check without one.
    const gate = 'This call needs credentials';
    const problems: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, o] of Object.entries(methods)) {
        const access = o['x-hangar-access'] as string;
        if (access === 'node') continue;
        const url = `${server.url}${path.replace(/\{[^}]+\}/g, 'nope-x1')}`;
        const res = await fetch(url, {
          method: method.toUpperCase(),
          headers: { 'content-type': 'application/json' },
          ...(['get', 'delete'].includes(method) ? {} : { body: '{}' }),
        });
        const text = await res.text();
        const gated = res.status === 401 && text.includes(gate);
        if ((access === 'public') === gated)
          problems.push(`${method} ${path} marked ${access}: ${res.status} ${text.slice(0, 120)}`);
      }
    }
    expect(problems).toEqual([]);
  }, 60_000);
});
