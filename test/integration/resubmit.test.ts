import { mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSnapshot } from '../../src/snapshots/snapshot-builder.js';
import { uploadSnapshot } from '../../src/snapshots/snapshot-client.js';
import { hashCacheFile } from '../../src/snapshots/hash-cache.js';
import { tempDir } from '../helpers/processes.js';
import { adminToken, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// Registering an unchanged folder again: the client's hash cache knows every file, so it offers
// the manifest at once (one call); a server without the blobs refuses it and the usual protocol
// follows; storing the manifest renews its blobs' age for gc as the missing check does.
let a: ServerProcess;
let b: ServerProcess;
const old = new Date(Date.now() - 60_000);

/** Every call the client makes, as "METHOD path" (the test wraps this process's own fetch). */
function recordCalls(): { calls: string[]; restore: () => void } {
  const calls: string[] = [];
  const original = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    calls.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
    return original(input, init);
  };
  return { calls, restore: () => void (globalThis.fetch = original) };
}

const transport = (s: ServerProcess) => ({
  url: s.url,
  headers: { authorization: `Bearer ${adminToken(s.url) ?? ''}` },
});

beforeAll(async () => {
  [a, b] = await Promise.all([startServerProcess(), startServerProcess()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([a.stop(), b.stop()]);
});

describe('registering an unchanged folder again', () => {
  it('offers the manifest at once, falls back where the blobs are not, and renews the blobs for gc', async () => {
    const dir = tempDir('hangar-resubmit-');
    mkdirSync(join(dir, 'sub'));
    for (const [path, text] of [
      ['a.txt', 'alpha\n'],
      ['sub/b.txt', 'beta\n'],
    ] as const) {
      writeFileSync(join(dir, path), text);
      utimesSync(join(dir, path), old, old);
    }
    const cache = hashCacheFile(tempDir('hangar-home-'), dir);
    const first = await buildSnapshot(dir, { hashCacheFile: cache });
    expect(first.fromCache).toBeUndefined();
    const uploaded = await uploadSnapshot(transport(a), first);
    expect(uploaded.uploadedBlobs).toBe(2);

    // The blobs on server A grow old; the next registration is one PUT that renews them.
    const blobs = [...first.files.keys()].map((sha) => join(a.home, 'blobs', sha.slice(0, 2), sha.slice(2)));
    for (const f of blobs) utimesSync(f, old, old);
    const again = await buildSnapshot(dir, { hashCacheFile: cache });
    expect(again.fromCache).toBe(true);
    const onA = recordCalls();
    const second = await uploadSnapshot(transport(a), again).finally(onA.restore);
    expect(onA.calls).toEqual(['PUT /api/snapshots']);
    expect(second).toEqual({
      snapshotId: uploaded.snapshotId,
      uploadedBlobs: 0,
      uploadedBytes: 0,
      reusedBlobs: 2,
    });
    for (const f of blobs) expect(statSync(f).mtimeMs).toBeGreaterThan(old.getTime() + 30_000);

    // Server B has none of them: the offered manifest is refused and every blob is sent.
    const onB = recordCalls();
    const elsewhere = await uploadSnapshot(transport(b), again).finally(onB.restore);
    expect(onB.calls[0]).toBe('PUT /api/snapshots');
    expect(onB.calls).toContain('POST /api/blobs/missing');
    expect(elsewhere).toMatchObject({ snapshotId: uploaded.snapshotId, uploadedBlobs: 2, reusedBlobs: 0 });
  }, 60_000);
});
