import { readFileSync } from 'node:fs';
import type { SnapshotManifest } from '../domain/snapshots/manifest.js';
import type { BuiltSnapshot } from './snapshot-builder.js';
import { call, uploadManifest, type SnapshotTransport, type UploadResult } from './snapshot-upload.js';

export type { SnapshotTransport, UploadResult };

/** Uploads a built snapshot: the blobs the server lacks, read from disk, then the manifest. */
export function uploadSnapshot(
  t: SnapshotTransport,
  built: BuiltSnapshot,
  onProgress?: (done: number, total: number) => void,
): Promise<UploadResult> {
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
