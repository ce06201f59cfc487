import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// The asset layer end to end: a real server, the built CLI, real folders and uploads.
// Each case runs many CLI processes; on a loaded machine that takes minutes, not seconds.
vi.setConfig({ testTimeout: 300_000 });
let server: ServerProcess;
const tokens: Record<string, string> = {};
const cli = (args: string[], token?: string) =>
  runCli(args, { url: server.url, ...(token ? { env: { HANGAR_TOKEN: token } } : {}) });
const json = (r: { stdout: string; stderr: string; code: number | null }): any => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};
const ws = '/api/workspaces/default';

async function user(name: string, role: string, scope: string): Promise<void> {
  expect((await api(server.url, 'POST', '/api/users', { name })).status).toBe(201);
  tokens[name] = (
    await api(server.url, 'POST', `/api/users/${name}/tokens`, { name: 't', expiresInDays: 1 })
  ).body.token;
  expect(
    (await api(server.url, 'POST', '/api/roleAssignments', { principalId: name, roleName: role, scope }))
      .status,
  ).toBe(201);
}

function folder(files: Record<string, string | Buffer>): string {
  const dir = tempDir('hangar-asset-');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out[relative(dir, join(d, e.name))] = readFileSync(join(d, e.name)).toString('base64');
    }
  };
  walk(dir);
  return out;
}

beforeAll(async () => {
  server = await startServerProcess();
  expect((await api(server.url, 'PUT', '/api/workspaces/other', { location: 'local' })).status).toBe(201);
  await user('rhea', 'Reader', '/workspaces/default');
  await user('otto', 'Contributor', '/workspaces/other');
}, 60_000);

afterAll(async () => {
  await server.stop();
});

describe('datastores', () => {
  it('workspaceblobstore is the default; a hangar_path folder is checked; Azure types are records whose secrets no read shows', async () => {
    const list = json(await cli(['datastore', 'list']));
    expect(list.find((d: any) => d.name === 'workspaceblobstore')).toMatchObject({
      type: 'hangar_blob',
      is_default: true,
      reachable: true,
    });
    const shared = folder({ 'sub/a.txt': 'a' });
    const yml = join(folder({}), 'ds.yml');
    writeFileSync(yml, `name: shared\ntype: hangar_path\npath: ${shared}\ndescription: team share\n`);
    expect(json(await cli(['datastore', 'create', '-f', yml]))).toMatchObject({
      name: 'shared',
      type: 'hangar_path',
      path: shared,
      reachable: true,
      description: 'team share',
    });

    const key = `key-${randomBytes(12).toString('hex')}`;
    const blobYml = join(folder({}), 'blob.yml');
    writeFileSync(
      blobYml,
      `name: azblob\ntype: azure_blob\naccount_name: acct\ncontainer_name: c1\ncredentials:\n  account_key: ${key}\n`,
    );
    const created = await cli(['datastore', 'create', '-f', blobYml]);
    expect(created.stderr).toContain('not reachable from here');
    const shown = await cli(['datastore', 'show', '-n', 'azblob']);
    expect(json(shown)).toMatchObject({
      type: 'azure_blob',
      account_name: 'acct',
      reachable: false,
      credentials: {},
    });
    for (const text of [
      created.stdout,
      shown.stdout,
      JSON.stringify((await api(server.url, 'GET', `${ws}/datastores`)).body),
    ])
      expect(text).not.toContain(key);
    expect(server.output()).not.toContain(key);
    // listSecrets: Contributor and up, and audited; a Reader is refused.
    expect((await api(server.url, 'POST', `${ws}/datastores/azblob/listSecrets`)).body).toEqual({
      secretsType: 'AccountKey',
      key,
    });
    const denied = await api(
      server.url,
      'POST',
      `${ws}/datastores/azblob/listSecrets`,
      undefined,
      tokens.rhea,
    );
    expect(denied.status).toBe(403);
    expect(JSON.stringify(denied.body)).not.toContain(key);
    const audit = JSON.stringify((await api(server.url, 'GET', '/api/audit?$top=1000')).body);
    expect(audit).toContain('/datastores/azblob/listSecrets');
    expect(audit).not.toContain(key);
  });

  it('bad datastores are refused naming the field', async () => {
    const missing = await cli([
      'datastore',
      'create',
      '-n',
      'gone',
      '-t',
      'hangar_path',
      '-p',
      '/no/such/folder',
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("properties.path: folder '/no/such/folder' does not exist");
    const badName = await api(server.url, 'PUT', `${ws}/datastores/My-Store`, {
      properties: { datastoreType: 'HangarPath', path: '/tmp' },
    });
    expect(badName.body.error).toMatchObject({ code: 'InvalidName', target: 'name' });
    const badType = await cli(['datastore', 'create', '-n', 'x', '-t', 's3']);
    expect(badType.stderr).toContain('type: must be one of hangar_path');
    const noKey = await api(server.url, 'PUT', `${ws}/datastores/nokey`, {
      properties: {
        datastoreType: 'AzureBlob',
        accountName: 'a',
        containerName: 'c',
        credentials: { credentialsType: 'AccountKey' },
      },
    });
    expect(noKey.status).toBe(400);
    expect(noKey.body.error.target).toBe('properties.credentials.secrets');
    expect(
      (await api(server.url, 'PUT', `${ws}/datastores/x`, { properties: { datastoreType: 'Ftp' } })).body
        .error.target,
    ).toBe('properties.datastoreType');
  });
});

describe('data', () => {
  it('registers a folder (a second time uploads nothing), versions, @latest, archive and restore, immutable versions', async () => {
    const dir = folder({ 'iris.csv': 'a,b\n1,2\n', 'more/readme.md': '# iris\n' });
    const first = await cli([
      'data',
      'create',
      '-n',
      'iris',
      '--path',
      dir,
      '--type',
      'uri_folder',
      '-d',
      'flowers',
    ]);
    expect(json(first)).toMatchObject({
      name: 'iris',
      version: '1',
      type: 'uri_folder',
      description: 'flowers',
    });
    expect(first.stderr).toMatch(/uploaded 2 \(/);
    const second = await cli(['data', 'create', '-n', 'iris', '--path', dir]);
    expect(json(second)).toMatchObject({ version: '2' });
    expect(second.stderr).toMatch(/uploaded 0 \(0 B\), 2 already on the server/);
    expect(json(second).path).toBe(json(first).path);

    expect(json(await cli(['data', 'show', '-n', 'iris'])).version).toBe('2');
    expect(json(await cli(['data', 'show', '-n', 'iris', '-v', '1'])).version).toBe('1');
    expect((await cli(['data', 'archive', '-n', 'iris', '-v', '2'])).code).toBe(0);
    expect(json(await cli(['data', 'show', '-n', 'iris', '--label', 'latest'])).version).toBe('1');
    expect(json(await cli(['data', 'show', '-n', 'iris', '-v', '2'])).is_archived).toBe(true);
    expect(json(await cli(['data', 'list', '-n', 'iris'])).map((d: any) => d.version)).toEqual(['1']);
    expect(
      json(await cli(['data', 'list', '-n', 'iris', '--include-archived'])).map((d: any) => d.version),
    ).toEqual(['2', '1']);
    expect(
      json(await cli(['data', 'list', '-n', 'iris', '--archived-only'])).map((d: any) => d.version),
    ).toEqual(['2']);
    expect((await cli(['data', 'restore', '-n', 'iris', '-v', '2'])).code).toBe(0);
    expect(json(await cli(['data', 'list']))).toEqual([
      expect.objectContaining({ name: 'iris', latest_version: '2' }),
    ]);

    const other = folder({ 'x.csv': 'x\n' });
    const clash = await cli(['data', 'create', '-n', 'iris', '-v', '1', '--path', other]);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain('AssetVersionExists');
    expect(clash.stderr).toContain('iris:1');
    const missing = await cli(['data', 'show', '-n', 'iris', '-v', '9']);
    expect(missing.stderr).toContain("has no version '9'; versions: 1, 2");

    const updated = json(
      await cli(['data', 'update', '-n', 'iris', '-v', '1', '--set', 'description=v1', 'tags.stage=raw']),
    );
    expect(updated).toMatchObject({ version: '1', description: 'v1', tags: { stage: 'raw' } });
    const immutable = await cli(['data', 'update', '-n', 'iris', '-v', '1', '--set', 'path=https://x']);
    expect(immutable.stderr).toContain('path cannot change');
  });

  it('files, datastore paths, URLs and mltable folders; bad input names the field', async () => {
    const file = join(folder({ 'one.csv': '1\n' }), 'one.csv');
    expect(json(await cli(['data', 'create', '-n', 'one', '-t', 'uri_file', '-p', file])).path).toMatch(
      /^azureml:\/\/datastores\/workspaceblobstore\/paths\/snapshots\/[0-9a-f]{64}\/one\.csv$/,
    );
    const share = folder({ 'raw/a.txt': 'a' });
    json(await cli(['datastore', 'create', '-n', 'share2', '-t', 'hangar_path', '-p', share]));
    expect(
      json(await cli(['data', 'create', '-n', 'raw', '-p', 'azureml://datastores/share2/paths/raw'])).path,
    ).toBe('azureml://datastores/share2/paths/raw');
    const nothing = await cli([
      'data',
      'create',
      '-n',
      'raw',
      '-p',
      'azureml://datastores/share2/paths/nope',
    ]);
    expect(nothing.stderr).toContain("properties.dataUri: 'azureml://datastores/share2/paths/nope'");
    expect(
      json(await cli(['data', 'create', '-n', 'web', '-t', 'uri_file', '-p', 'https://example.com/iris.csv']))
        .path,
    ).toBe('https://example.com/iris.csv');
    const table = folder({ MLTable: 'paths:\n  - file: ./iris.csv\n', 'iris.csv': 'a\n' });
    expect(json(await cli(['data', 'create', '-n', 'tbl', '-t', 'mltable', '-p', table])).type).toBe(
      'mltable',
    );
    const noTable = await cli([
      'data',
      'create',
      '-n',
      'tbl2',
      '-t',
      'mltable',
      '-p',
      folder({ 'a.csv': 'a' }),
    ]);
    expect(noTable.stderr).toContain('MLTable');
    expect((await cli(['data', 'create', '-n', 'x', '-t', 'parquet', '-p', file])).stderr).toContain(
      "type: a data asset's type is one of uri_file, uri_folder, mltable; got 'parquet'",
    );
    expect((await cli(['data', 'create', '-n', 'x'])).stderr).toContain('path: required');
    expect((await cli(['data', 'create', '-n', 'x', '-p', '/no/such/dir'])).stderr).toContain(
      "path: '/no/such/dir' does not exist",
    );
    expect((await cli(['data', 'create', '-n', '-bad', '-p', file])).stderr).toContain(
      "name: data name '-bad'",
    );
    const rest = await api(server.url, 'PUT', `${ws}/data/x/versions/1`, {
      properties: { dataType: 'blob', dataUri: 'https://a' },
    });
    expect(rest.status).toBe(400);
    expect(rest.body.error.target).toBe('properties.dataType');
    const asFolder = await api(server.url, 'PUT', `${ws}/data/x/versions/1`, {
      properties: { dataType: 'uri_folder', dataUri: json(await cli(['data', 'show', '-n', 'one'])).path },
    });
    expect(asFolder.body.error.message).toContain('is a file (use type uri_file)');
  });
});

describe('models', () => {
  it('registers a folder and downloads it elsewhere byte for byte', async () => {
    const bytes = randomBytes(200_000);
    const dir = folder({
      'model.bin': bytes,
      MLmodel: 'flavors:\n  python_function: {}\n',
      'conda/env.yml': 'name: m\n',
    });
    expect(json(await cli(['model', 'create', '-n', 'clf', '-p', dir, '-t', 'mlflow_model']))).toMatchObject({
      name: 'clf',
      version: '1',
      type: 'mlflow_model',
    });
    const dest = tempDir('hangar-download-');
    const got = await cli(['model', 'download', '-n', 'clf', '-v', '1', '--download-path', dest]);
    expect(got.code, got.stderr).toBe(0);
    expect(filesUnder(join(dest, 'clf'))).toEqual(filesUnder(dir));
    expect((await cli(['model', 'create', '-n', 'clf', '-t', 'onnx_model', '-p', dir])).stderr).toContain(
      'custom_model, mlflow_model, triton_model',
    );
    const job = await cli([
      'model',
      'create',
      '-n',
      'fromjob',
      '-p',
      'azureml://jobs/nojob/outputs/model/paths/m',
    ]);
    expect(job.stderr).toContain("job 'nojob' does not exist");
  });
});

describe('components', () => {
  it('creates command components with typed ports and uploaded code; versions and bad specs', async () => {
    const dir = folder({ 'src/train.py': 'print(1)\n' });
    const yml = join(dir, 'train.yml');
    writeFileSync(
      yml,
      [
        '$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json',
        'name: train_step',
        'display_name: Train',
        'type: command',
        'version: 1',
        'inputs:',
        '  data: {type: uri_folder}',
        '  lr: {type: number, default: 0.1}',
        'outputs:',
        '  model: {type: mlflow_model}',
        'code: ./src',
        'environment: azureml:sk@latest',
        'command: python train.py --data ${{inputs.data}} --lr ${{inputs.lr}} --out ${{outputs.model}}',
        '',
      ].join('\n'),
    );
    const made = json(await cli(['component', 'create', '-f', yml]));
    expect(made).toMatchObject({ name: 'train_step', version: '1', type: 'command', display_name: 'Train' });
    expect(made.code).toMatch(
      /^azureml:\/\/datastores\/workspaceblobstore\/paths\/snapshots\/[0-9a-f]{64}\/$/,
    );
    expect(made.inputs.lr).toEqual({ type: 'number', default: 0.1 });
    json(await cli(['component', 'create', '-f', yml, '--set', 'version=2', 'display_name=Train v2']));
    expect(json(await cli(['component', 'show', '-n', 'train_step'])).display_name).toBe('Train v2');
    expect(json(await cli(['component', 'list']))).toEqual([
      expect.objectContaining({ name: 'train_step', latest_version: '2' }),
    ]);
    const bad = await cli([
      'component',
      'create',
      '-f',
      yml,
      '--set',
      'version=3',
      'command=echo ${{inputs.nope}}',
    ]);
    expect(bad.stderr).toContain("componentSpec.command: '${{inputs.nope}}' names no declared input");
    const pipeline = await cli(['component', 'create', '-f', yml, '--set', 'version=3', 'type=pipeline']);
    // A pipeline component is a graph: one without `jobs` is refused naming the field.
    expect(pipeline.stderr).toContain('componentSpec.jobs:');
  });
});

describe('environments', () => {
  it('reuses an identical spec, versions, labels, archive; --version shows the version; build is refused naming the runtime', async () => {
    const dir = folder({ 'conda.yml': 'dependencies:\n  - python=3.11\n' });
    const yml = join(dir, 'env.yml');
    writeFileSync(yml, 'name: sk\nconda_file: conda.yml\n');
    expect(json(await cli(['environment', 'create', '-f', yml])).version).toBe('1');
    expect(json(await cli(['environment', 'create', '-f', yml, '--tags', 'k=v'])).version).toBe('1');
    writeFileSync(join(dir, 'conda.yml'), 'dependencies:\n  - python=3.12\n');
    expect(json(await cli(['environment', 'create', '-f', yml])).version).toBe('2');
    const clash = await cli(['environment', 'create', '-f', yml, '--version', '1']);
    expect(clash.stderr).toContain('AssetVersionExists');
    expect(json(await cli(['environment', 'show', '-n', 'sk', '--version', '1']))).toMatchObject({
      name: 'sk',
      version: '1',
      conda_file: { dependencies: ['python=3.11'] },
    });
    expect(json(await cli(['environment', 'show', '-n', 'sk', '--label', 'latest'])).version).toBe('2');
    expect((await cli(['environment', 'archive', '-n', 'sk', '-v', '2'])).code).toBe(0);
    expect(json(await cli(['environment', 'show', '-n', 'sk'])).version).toBe('1');
    expect(json(await cli(['environment', 'list', '-n', 'sk'])).map((e: any) => e.version)).toEqual(['1']);
    expect((await api(server.url, 'GET', `${ws}/environments/sk`)).body.properties).toMatchObject({
      latestVersion: '1',
      nextVersion: '3',
    });
    const build = await cli(['environment', 'create', '-n', 'built', '--build-context', dir]);
    expect(build.code).toBe(1);
    expect(build.stderr).toContain('needs a container runtime (podman or docker)');
    expect((await api(server.url, 'GET', `${ws}/environments/nothing`)).status).toBe(404);
  });
});

describe('authorization and REST shape', () => {
  it('a Reader reads but cannot write; a user of another workspace cannot read', async () => {
    expect(json(await cli(['data', 'show', '-n', 'iris'], tokens.rhea)).name).toBe('iris');
    const refused = await cli(['data', 'create', '-n', 'nope', '-p', 'https://example.com/a'], tokens.rhea);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('AuthorizationFailed');
    const writes: [string, string, unknown][] = [
      ['PUT', `${ws}/data/r/versions/1`, { properties: { dataType: 'uri_file', dataUri: 'https://a/b' } }],
      ['POST', `${ws}/data/iris/versions`, { properties: { dataType: 'uri_file', dataUri: 'https://a/b' } }],
      ['POST', `${ws}/data/iris/archive`, undefined],
      ['POST', `${ws}/data/iris/versions/1/restore`, undefined],
      ['DELETE', `${ws}/data/iris/versions/1`, undefined],
      ['PUT', `${ws}/models/m/versions/1`, { properties: { modelUri: 'https://a/b' } }],
      ['PUT', `${ws}/components/c/versions/1`, { properties: { componentSpec: {} } }],
      ['PUT', `${ws}/datastores/d`, { properties: { datastoreType: 'HangarPath', path: '/tmp' } }],
      ['DELETE', `${ws}/datastores/shared`, undefined],
      ['PUT', `${ws}/environments/e/versions/1`, { properties: { image: 'x' } }],
      ['POST', `${ws}/environments/sk/versions/1/archive`, undefined],
    ];
    for (const [method, path, body] of writes) {
      const r = await api(server.url, method, path, body, tokens.rhea);
      expect(r.status, `${method} ${path}`).toBe(403);
    }
    const reads = [
      `${ws}/data`,
      `${ws}/data/iris`,
      `${ws}/data/iris/versions`,
      `${ws}/data/iris/versions/1`,
      `${ws}/data/iris/versions/1/manifest`,
      `${ws}/models/clf/versions/1/manifest`,
      `${ws}/components/train_step/versions/latest`,
      `${ws}/datastores`,
      `${ws}/datastores/shared`,
      `${ws}/environments`,
      `${ws}/environments/sk/versions`,
    ];
    for (const path of reads) {
      expect((await api(server.url, 'GET', path, undefined, tokens.rhea)).status, path).toBe(200);
      expect((await api(server.url, 'GET', path, undefined, tokens.otto)).status, path).toBe(403);
    }
  });

  it('answers in the ARM envelope Azure ML clients read', async () => {
    const v = (await api(server.url, 'GET', `${ws}/data/iris/versions/1`)).body;
    expect(v).toMatchObject({
      id: '/workspaces/default/data/iris/versions/1',
      name: '1',
      type: 'Microsoft.MachineLearningServices/workspaces/data/versions',
      properties: { dataType: 'uri_folder', isArchived: false },
      systemData: { createdBy: 'admin' },
    });
    expect((await api(server.url, 'GET', `${ws}/data/iris`)).body.properties).toMatchObject({
      latestVersion: '2',
      nextVersion: '3',
    });
    expect((await api(server.url, 'GET', `${ws}/data/none`)).status).toBe(404);
    const page = (
      await api(server.url, 'GET', `${ws}/data/iris/versions?$top=1&listViewType=All&api-version=2022-10-01`)
    ).body;
    expect(page.value).toHaveLength(1);
    expect(page.nextLink).toContain('skipToken=');
    expect((await api(server.url, 'GET', `${ws}/data?listViewType=Everything`)).body.error.target).toBe(
      'listViewType',
    );
    const ds = (await api(server.url, 'GET', `${ws}/datastores?isDefault=true`)).body.value;
    expect(ds.map((d: any) => d.name)).toEqual(['workspaceblobstore']);
  });
});
