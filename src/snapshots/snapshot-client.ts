import { readFileSync } from 'node:fs';
import type { SnapshotManifest } from '../domain/snapshots/manifest.js';
import type { BuiltSnapshot } from './snapshot-builder.js';
import { call, uploadManifest, type SnapshotTransport, type UploadResult } from './snapshot-upload.js';

export type { SnapshotTransport, UploadResult };

/** Uploads a built snapshot: the blobs the server lacks, read from disk, then the manifest. */
export async function uploadSnapshot(
  t: SnapshotTransport,
  built: BuiltSnapshot,
  onProgress?: (done: number, total: number) => void,
): Promise<UploadResult> {
  const hashes = [...built.files.keys()];
  // A folder as when last built (every hash from the cache) was most likely uploaded then: the
  // manifest is offered at once, and the PUT, which checks every blob is there and renews its age
  // for gc as the missing check does, is the only round trip. Refused (a blob is not there: another
  // server, an upload cut short, gc), the usual protocol follows.
  if (built.fromCache) {
    const put = await call(t, 'PUT', '/api/snapshots', JSON.stringify(built.manifest)).then(
      async (r) => (await r.json()) as { id: string },
      () => undefined,
    );
    if (put) return { snapshotId: put.id, uploadedBlobs: 0, uploadedBytes: 0, reusedBlobs: hashes.length };
  }
  // A resubmission usually finds every blob there: then the manifest goes straight in (the PUT
  // validates it as the validate call would), one round trip of 10,000 entries fewer. The missing
  // check still comes first: it renews the found blobs' age, so gc keeps them until the PUT.
  const { missing } = (await (
    await call(t, 'POST', '/api/blobs/missing', JSON.stringify({ hashes }))
  ).json()) as { missing: string[] };
  if (missing.length === 0) {
    const put = (await (await call(t, 'PUT', '/api/snapshots', JSON.stringify(built.manifest))).json()) as {
      id: string;
    };
    return { snapshotId: put.id, uploadedBlobs: 0, uploadedBytes: 0, reusedBlobs: hashes.length };
  }
  return uploadManifest(
    t,
    built.manifest,
    (sha) => new Uint8Array(readFileSync(built.files.get(sha) as string)),
    onProgress,
  );
}

/** Reads a snapshot's manifest. */
export async function fetchManifest(t: SnapshotTransport, id: string): Promise<SnapshotManifest> {
  return (await (await call(t, 'GET', `/api/snapshots/${id}`)).json()) as SnapshotManifest;
}

/** Reads one blob of a snapshot (users read blobs through the job snapshot they belong to; nodes may leave it out). */
export async function fetchBlob(t: SnapshotTransport, sha256: string, snapshotId?: string): Promise<Buffer> {
  return Buffer.from(
    await (
      await call(t, 'GET', `/api/blobs/${sha256}${snapshotId ? `?snapshot=${snapshotId}` : ''}`)
    ).arrayBuffer(),
  );
}
