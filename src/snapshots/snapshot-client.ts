import { readFileSync } from 'node:fs';
import type { SnapshotManifest } from '../domain/snapshots/manifest.js';
import type { BuiltSnapshot } from './snapshot-builder.js';

/** How a snapshot client reaches the server (plain fetch; the agent adds its bearer token). */
export interface SnapshotTransport {
  url: string;
  headers?: Record<string, string>;
}

/** What an upload did: dedupe means an unchanged folder uploads nothing. */
export interface UploadResult {
  snapshotId: string;
  uploadedBlobs: number;
  uploadedBytes: number;
  reusedBlobs: number;
}

async function call(t: SnapshotTransport, method: string, path: string, body?: string | Uint8Array, contentType = 'application/json'): Promise<Response> {
  const res = await fetch(`${t.url}${path}`, { method, headers: { ...t.headers, 'content-type': contentType }, ...(body === undefined ? {} : { body }) });
  if (!res.ok) {
    const text = await res.text();
    let message = text;
    try {
      const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
      if (parsed.error) message = `${parsed.error.code ?? 'Error'}: ${parsed.error.message ?? ''}`;
    } catch {
      /* not JSON */
    }
    const err = new Error(message) as Error & { status: number; body: string };
    err.status = res.status;
    err.body = text;
    throw err;
  }
  return res;
}

/** Uploads the blobs the server lacks (bounded concurrency), then the manifest. */
export async function uploadSnapshot(t: SnapshotTransport, built: BuiltSnapshot, onProgress?: (done: number, total: number) => void): Promise<UploadResult> {
  await call(t, 'POST', '/api/snapshots/validate', JSON.stringify(built.manifest));
  const hashes = [...built.files.keys()];
  const { missing } = (await (await call(t, 'POST', '/api/blobs/missing', JSON.stringify({ hashes }))).json()) as { missing: string[] };
  let uploadedBytes = 0;
  let done = 0;
  const queue = [...missing];
  const worker = async (): Promise<void> => {
    for (let sha = queue.shift(); sha !== undefined; sha = queue.shift()) {
      const bytes = readFileSync(built.files.get(sha) as string);
      await call(t, 'PUT', `/api/blobs/${sha}`, new Uint8Array(bytes), 'application/octet-stream');
      uploadedBytes += bytes.length;
      onProgress?.(++done, missing.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, missing.length) }, worker));
  const put = (await (await call(t, 'PUT', '/api/snapshots', JSON.stringify(built.manifest))).json()) as { id: string };
  return { snapshotId: put.id, uploadedBlobs: missing.length, uploadedBytes, reusedBlobs: hashes.length - missing.length };
}

/** Reads a snapshot's manifest. */
export async function fetchManifest(t: SnapshotTransport, id: string): Promise<SnapshotManifest> {
  return (await (await call(t, 'GET', `/api/snapshots/${id}`)).json()) as SnapshotManifest;
}

/** Reads one blob. */
export async function fetchBlob(t: SnapshotTransport, sha256: string): Promise<Buffer> {
  return Buffer.from(await (await call(t, 'GET', `/api/blobs/${sha256}`)).arrayBuffer());
}
