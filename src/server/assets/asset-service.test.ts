import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testContext, type TestContext } from '../../../test/helpers/service-context.js';
import { snapshotUri } from '../../domain/assets/snapshot-uri.js';
import type { JobRecord } from '../../domain/jobs/job-record.js';
import { AccessService } from '../access/access-service.js';
import { SnapshotService } from '../snapshots/snapshot-service.js';
import { AssetService } from './asset-service.js';
import { DatastoreService } from './datastore-service.js';

let t: TestContext;
let snapshots: SnapshotService;
let datastores: DatastoreService;
let assets: AssetService;

/** Stores files as blobs and a manifest over them; answers the snapshot id. */
async function snapshot(files: Record<string, string>): Promise<string> {
  const entries = Object.entries(files).map(([path, text]) => {
    const bytes = Buffer.from(text);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    snapshots.blobs.put(sha256, bytes);
    return { path, kind: 'file' as const, sha256, size: bytes.length, mode: 0o644 };
  });
  return (await snapshots.putManifest({ version: 1, entries })).id;
}

beforeEach(async () => {
  t = await testContext();
  const now = t.clock.now().toISOString();
  await t.store.workspaces.insert({
    name: 'default',
    location: 'local',
    tags: {},
    locks: [],
    createdAt: now,
    modifiedAt: now,
    version: 1,
  });
  snapshots = new SnapshotService(t.ctx);
  datastores = new DatastoreService(t.ctx);
  assets = new AssetService(t.ctx, snapshots, datastores, new AccessService(t.ctx));
});
afterEach(async () => t.close());

describe('resolving data references for jobs', () => {
  it('azureml:<name>:<version> and @latest (archived skipped) resolve to the snapshot, naming the asset', async () => {
    const id = await snapshot({ 'iris.csv': 'a\n', 'sub/b.csv': 'b\n' });
    for (const v of ['1', '2'])
      await assets.createVersion('default', 'data', 'iris', v, {
        dataType: 'uri_folder',
        dataUri: snapshotUri(id),
      });
    await assets.setArchived('default', 'data', 'iris', '2', true);
    const latest = await assets.resolveDataReference('default', 'azureml:iris@latest');
    expect(latest).toMatchObject({
      kind: 'snapshot',
      snapshotId: id,
      subPath: '',
      type: 'uri_folder',
      asset: {
        assetKind: 'data',
        name: 'iris',
        version: '1',
        assetId: '/workspaces/default/data/iris/versions/1',
      },
    });
    expect((await assets.resolveDataReference('default', 'azureml:iris:2')).asset?.version).toBe('2');
    await expect(
      assets.resolveDataReference('default', 'azureml:iris:9', { field: 'inputs.training.path' }),
    ).rejects.toMatchObject({
      code: 'NotFound',
      target: 'inputs.training.path',
      message: expect.stringContaining("'iris' has no version '9'; versions: 1, 2 (archived)") as unknown,
    });
    await expect(assets.resolveDataReference('default', 'azureml:nope@latest')).rejects.toMatchObject({
      code: 'NotFound',
      message: expect.stringContaining("no data or model asset named 'nope'") as unknown,
    });
    await expect(assets.resolveDataReference('default', 'azureml:iris@prod')).rejects.toMatchObject({
      code: 'ValidationFailed',
    });
    await expect(assets.resolveDataReference('default', './local')).rejects.toMatchObject({
      code: 'ValidationFailed',
      message: expect.stringContaining('local path') as unknown,
    });
    // A part of a snapshot, by datastore path.
    expect(
      await assets.resolveDataReference(
        'default',
        'azureml://datastores/workspaceblobstore/paths/snapshots/' + id + '/sub',
      ),
    ).toEqual({ kind: 'snapshot', snapshotId: id, subPath: 'sub' });
  });

  it('hangar_path datastores resolve to folders; Azure ones are refused as not reachable; URLs pass', async () => {
    const dir = join(t.ctx.config.home, 'share');
    mkdirSync(join(dir, 'raw'), { recursive: true });
    writeFileSync(join(dir, 'raw', 'a.txt'), 'a');
    await datastores.put('default', 'share', {
      properties: {
        datastoreType: 'HangarPath',
        path: dir,
        tags: {},
        credentials: { credentialsType: 'None' },
      },
    });
    expect(await assets.resolveDataReference('default', 'azureml://datastores/share/paths/raw')).toEqual({
      kind: 'path',
      datastore: 'share',
      root: dir,
      path: join(dir, 'raw'),
    });
    await expect(
      assets.resolveDataReference('default', 'azureml://datastores/share/paths/x/../../..'),
    ).rejects.toMatchObject({ code: 'ValidationFailed' });
    await datastores.put('default', 'blob', {
      properties: {
        datastoreType: 'AzureBlob',
        accountName: 'a',
        containerName: 'c',
        tags: {},
        credentials: { credentialsType: 'Sas', secrets: { secretsType: 'Sas', sasToken: 'sv=1&sig=x' } },
      },
    });
    await expect(
      assets.resolveDataReference('default', 'azureml://datastores/blob/paths/x', { field: 'inputs.d.path' }),
    ).rejects.toMatchObject({
      code: 'ValidationFailed',
      message: expect.stringContaining('not reachable from here') as unknown,
    });
    expect(await datastores.listSecrets('default', 'blob')).toEqual({
      secretsType: 'Sas',
      sasToken: 'sv=1&sig=x',
    });
    expect(JSON.stringify(await t.store.assets.get('datastore', 'default', 'blob', '1'))).not.toContain(
      'sig=x',
    );
    expect(await assets.resolveDataReference('default', 'https://example.com/a.csv')).toEqual({
      kind: 'url',
      url: 'https://example.com/a.csv',
    });
  });

  it('a caller without a role in the workspace may not resolve its data', async () => {
    await expect(
      assets.resolveDataReference('default', 'https://example.com/a', {
        caller: { kind: 'user', objectId: 'u1', name: 'mallory' },
      }),
    ).rejects.toMatchObject({ code: 'AuthorizationFailed' });
  });
});

describe('registering job outputs', () => {
  it('makes a model of an output folder (a snapshot of its own), with lineage both ways', async () => {
    const outputs = await snapshot({ 'model/weights.bin': 'w', 'model/MLmodel': 'm', 'logs/x.txt': 'l' });
    const job = {
      name: 'train-1',
      workspace: 'default',
      spec: { command: 'echo' },
      computeName: 'cpu',
      experimentName: 'e',
      status: 'Completed',
      priority: 0,
      queueSeq: 1,
      attempts: [],
      delivered: false,
      cancelRequested: false,
      outputsSnapshotId: outputs,
      run: {
        command: 'echo',
        environment: { kind: 'user-managed' },
        env: {},
        inputs: [],
        instanceCount: 1,
        maxAttempts: 1,
      },
      createdAt: t.clock.now().toISOString(),
      modifiedAt: t.clock.now().toISOString(),
      version: 1,
    } satisfies JobRecord;
    await t.store.jobs.insert(job);
    const model = await assets.registerOutputAsAsset('default', {
      assetKind: 'model',
      name: 'clf',
      type: 'mlflow_model',
      snapshotId: outputs,
      subPath: 'model',
      job: 'train-1',
      output: 'model',
    });
    expect(model.version).toBe('1');
    expect(model.doc.jobName).toBe('train-1');
    const manifest = await snapshots.getManifest(model.snapshotId ?? '');
    expect(manifest.entries.map((e) => e.path).sort()).toEqual(['MLmodel', 'weights.bin']);
    expect(await assets.lineageOfJob('default', 'train-1')).toEqual([
      expect.objectContaining({
        direction: 'output',
        port: 'model',
        kind: 'model',
        name: 'clf',
        version: '1',
      }),
    ]);
    expect((await assets.lineageOfAsset('default', 'model', 'clf')).map((e) => e.job)).toEqual(['train-1']);
    expect((await assets.referencedSnapshots()).has(model.snapshotId ?? '')).toBe(true);
    // The same output by path, through the model registry: the same content, so the same snapshot.
    const byPath = await assets.createVersion('default', 'model', 'clf', undefined, {
      modelType: 'mlflow_model',
      modelUri: 'azureml://jobs/train-1/outputs/model/paths/',
    });
    expect(byPath.record).toMatchObject({
      version: '2',
      snapshotId: model.snapshotId,
      doc: { jobName: 'train-1' },
    });
    await expect(
      assets.createVersion('default', 'model', 'clf', '1', {
        modelType: 'custom_model',
        modelUri: 'https://example.com/m',
      }),
    ).rejects.toMatchObject({
      code: 'AssetVersionExists',
      message: expect.stringContaining('clf:1') as unknown,
    });
  });
});
