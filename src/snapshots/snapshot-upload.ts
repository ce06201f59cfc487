import type { SnapshotManifest } from '../domain/snapshots/manifest-types.js';

// The snapshot upload protocol with nothing but fetch, so the studio uses it in the browser too.

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

/** One call of the snapshot protocol; an error answer throws with the server's code and message. */
export async function call(
  t: SnapshotTransport,
  method: string,
  path: string,
  body?: string | Uint8Array<ArrayBuffer> | Blob,
  contentType = 'application/json',
): Promise<Response> {
  const res = await fetch(`${t.url}${path}`, {
    method,
    headers: { ...t.headers, 'content-type': contentType },
    ...(body === undefined ? {} : { body }),
  });
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

/**
 * Uploads a snapshot: validates the manifest, sends only the blobs the server lacks (bounded
 * concurrency), then the manifest. `readBlob` gives a blob's bytes by sha256 (a file on disk for
 * the CLI and agent, a chosen File in the studio).
 */
export async function uploadManifest(
  t: SnapshotTransport,
  manifest: SnapshotManifest,
  readBlob: (sha256: string) => Uint8Array<ArrayBuffer> | Blob,
  onProgress?: (done: number, total: number) => void,
): Promise<UploadResult> {
  await call(t, 'POST', '/api/snapshots/validate', JSON.stringify(manifest));
  const hashes = [...new Set(manifest.entries.flatMap((e) => (e.kind === 'file' ? [e.sha256] : [])))];
  const { missing } = (await (
    await call(t, 'POST', '/api/blobs/missing', JSON.stringify({ hashes }))
  ).json()) as { missing: string[] };
  let uploadedBytes = 0;
  let done = 0;
  const queue = [...missing];
  const worker = async (): Promise<void> => {
    for (let sha = queue.shift(); sha !== undefined; sha = queue.shift()) {
      const bytes = readBlob(sha);
      await call(t, 'PUT', `/api/blobs/${sha}`, bytes, 'application/octet-stream');
      uploadedBytes += bytes instanceof Uint8Array ? bytes.length : bytes.size;
      onProgress?.(++done, missing.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, missing.length) }, worker));
  const put = (await (await call(t, 'PUT', '/api/snapshots', JSON.stringify(manifest))).json()) as {
    id: string;
  };
  return {
    snapshotId: put.id,
    uploadedBlobs: missing.length,
    uploadedBytes,
    reusedBlobs: hashes.length - missing.length,
  };
}
