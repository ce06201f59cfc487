import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotManifest } from '../../src/domain/snapshots/manifest.js';
import { snapshotIdOf } from '../../src/domain/snapshots/manifest.js';
import { uploadManifest } from '../../src/snapshots/snapshot-upload.js';
import { runCli } from '../helpers/run-cli.js';
import { adminToken, api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const transport = () => ({
  url: server.url,
  headers: { authorization: `Bearer ${adminToken(server.url) ?? ''}` },
});

/** Uploads files as one snapshot; answers its id and the blobs' hashes. */
async function snapshotOf(files: Record<string, string>): Promise<{ id: string; blobs: string[] }> {
  const bytes = new Map(Object.values(files).map((t) => [sha(Buffer.from(t)), Buffer.from(t)]));
  const manifest: SnapshotManifest = {
    version: 1,
    entries: Object.entries(files).map(([path, t]) => ({
      path,
      kind: 'file',
      sha256: sha(Buffer.from(t)),
      size: Buffer.byteLength(t),
      mode: 0o644,
    })),
  };
  const r = await uploadManifest(
    transport(),
    manifest,
    (h) => new Uint8Array(bytes.get(h) ?? Buffer.alloc(0)),
  );
  return { id: r.snapshotId, blobs: [...bytes.keys()] };
}

async function missing(hashes: string[]): Promise<string[]> {
  const r = await api(server.url, 'POST', '/api/blobs/missing', { hashes });
  return r.body.missing;
}

const advanceHours = async (h: number) =>
  expect((await api(server.url, 'POST', '/api/admin/clock', { advanceSeconds: h * 3600 })).status).toBe(200);

beforeAll(async () => {
  server = await startServerProcess({
    config: { storage: { gcRetentionHours: 2 }, reconcileIntervalMs: 200 },
    env: { HANGAR_TEST_CLOCK: '1' },
  });
}, 60_000);
afterAll(() => server.stop());

describe('hangar admin gc', () => {
  it('keeps what jobs and assets reference, deletes old orphans, and a dry run deletes nothing', async () => {
    // A job's code (a local-target job waits for its submitter's agent: it stays queued, referenced).
    const code = await snapshotOf({ 'main.py': 'print("gc")\n', 'lib/util.py': 'x = 1\n' });
    const job = await api(server.url, 'PUT', '/api/workspaces/default/jobs/gc-job', {
      spec: { command: 'python main.py', code: '.', compute: 'local' },
      codeSnapshotId: code.id,
    });
    expect(job.status, JSON.stringify(job.body)).toBeLessThan(300);
    // A data version's files.
    const data = await snapshotOf({ 'train.csv': 'a,b\n1,2\n' });
    const created = await api(server.url, 'PUT', '/api/workspaces/default/data/gcdata/versions/1', {
      properties: {
        dataType: 'uri_folder',
        dataUri: `azureml://datastores/workspaceblobstore/paths/snapshots/${data.id}/`,
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBeLessThan(300);
    // Orphans: a snapshot nothing names, and a lone blob.
    const orphan = await snapshotOf({ 'junk.bin': 'nobody wants this\n' });
    const kept = [code.id, ...code.blobs, data.id, ...data.blobs];
    const orphans = [orphan.id, ...orphan.blobs];

    // Young orphans survive the retention period.
    const early = await api(server.url, 'POST', '/api/admin/gc?dryRun=false');
    expect(early.status).toBe(200);
    expect(early.body.blobs.deleted).toBe(0);
    expect(await missing([...kept, ...orphans])).toEqual([]);

    await advanceHours(3);
    const dry = await runCli(['admin', 'gc', '-o', 'json'], { url: server.url });
    expect(dry.code, dry.stderr).toBe(0);
    const report = JSON.parse(dry.stdout);
    expect(report).toMatchObject({ dryRun: true, retentionHours: 2, blobs: { deleted: orphans.length } });
    expect(report.bytes.freed).toBeGreaterThan(0);
    expect(dry.stderr).toContain(`would delete ${orphans.length} unreferenced blobs older than 2 h`);
    expect(dry.stderr).toContain('Dry run: nothing was deleted');
    expect(await missing([...kept, ...orphans])).toEqual([]);

    // Asking which blobs are missing renews their age (a client would not upload them again): wait once more.
    const renewed = await api(server.url, 'POST', '/api/admin/gc');
    expect(renewed.body.blobs).toMatchObject({ deleted: 0, unreferencedYoung: orphans.length });
    await advanceHours(3);
    const real = await runCli(['admin', 'gc', '--yes', '-o', 'json'], { url: server.url });
    expect(real.code, real.stderr).toBe(0);
    expect(JSON.parse(real.stdout).blobs.deleted).toBe(orphans.length);
    expect((await missing([...kept, ...orphans])).sort()).toEqual([...orphans].sort());
    // The job's and the data version's files still read back.
    const manifest = await api(server.url, 'GET', `/api/workspaces/default/data/gcdata/versions/1/manifest`);
    expect(manifest.status).toBe(200);
  });

  it('keeps the blobs and code snapshots the Azure ML SDK uploaded (blob subset, code versions) and still collects orphans', async () => {
    const auth = { authorization: `Bearer ${adminToken(server.url) ?? ''}` };
    const container = `${server.url}/hangarblob/azureml-blobstore-default`;
    const body = 'print("uploaded by the SDK")\n';
    // What `jobs.create_or_update(command(code="./src"))` does: Put Blob, then a code version naming the upload.
    const put = await fetch(`${container}/LocalUpload/d41d/src/train.py`, {
      method: 'PUT',
      headers: { ...auth, 'x-ms-blob-type': 'BlockBlob', 'content-type': 'text/x-python' },
      body,
    });
    expect(put.status).toBe(201);
    const ws =
      '/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/default';
    const code = await api(server.url, 'PUT', `${ws}/codes/sdk-code/versions/1`, {
      properties: { codeUri: `${container}/LocalUpload/d41d/src`, isAnonymous: true },
    });
    expect(code.status, JSON.stringify(code.body)).toBe(201);
    const blob = sha(Buffer.from(body));
    const codeSnapshot = snapshotIdOf({
      version: 1,
      entries: [{ path: 'train.py', kind: 'file', sha256: blob, size: Buffer.byteLength(body), mode: 0o644 }],
    });
    const orphan = await snapshotOf({ 'stray.txt': 'uploaded, never named\n' });
    const orphans = [orphan.id, ...orphan.blobs];

    await advanceHours(3);
    const real = await api(server.url, 'POST', '/api/admin/gc?dryRun=false');
    expect(real.status).toBe(200);
    expect(real.body.blobs.deleted).toBeGreaterThanOrEqual(orphans.length);
    expect((await missing([blob, codeSnapshot, ...orphans])).sort()).toEqual([...orphans].sort());
    // The SDK reads its upload back by name (Get Blob), as on a resubmission.
    const read = await fetch(`${container}/LocalUpload/d41d/src/train.py`, { headers: auth });
    expect(read.status).toBe(200);
    expect(await read.text()).toBe(body);
  });

  it('gc is for server administrators only and names a bad flag; the lineage route checks access and names an unknown version', async () => {
    const made = await api(server.url, 'POST', '/api/users', { name: 'gcuser' });
    expect(made.status).toBe(201);
    const token = (await api(server.url, 'POST', '/api/users/gcuser/tokens', { name: 't', expiresInDays: 1 }))
      .body.token as string;
    await api(server.url, 'POST', '/api/roleAssignments', {
      principalId: made.body.id,
      roleName: 'Owner',
      scope: '/workspaces/default',
    });
    const refused = await api(server.url, 'POST', '/api/admin/gc', undefined, token);
    expect(refused.status).toBe(403);
    expect((await api(server.url, 'POST', '/api/admin/gc')).status).toBe(200);
    const bad = await api(server.url, 'POST', '/api/admin/gc?dryRun=maybe');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error)).toContain('dryRun');
    // The lineage route of a version: readers of the workspace only; an unknown version is named.
    const lineage = '/api/workspaces/default/data/gcdata/versions/1/jobs';
    expect((await api(server.url, 'GET', lineage, undefined, token)).body).toEqual({ value: [] });
    const stranger = await api(server.url, 'POST', '/api/users', { name: 'gcstranger' });
    const strangerToken = (
      await api(server.url, 'POST', '/api/users/gcstranger/tokens', { name: 't', expiresInDays: 1 })
    ).body.token as string;
    expect(stranger.status).toBe(201);
    expect((await api(server.url, 'GET', lineage, undefined, strangerToken)).status).toBe(403);
    const unknown = await api(server.url, 'GET', '/api/workspaces/default/data/gcdata/versions/7/jobs');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain('7');
    const cli = await runCli(['admin', 'gc', '--retention-hours', '-1'], { url: server.url });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('--retention-hours');
  });
});
