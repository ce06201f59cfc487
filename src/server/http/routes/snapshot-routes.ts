import { z } from 'zod';
import { snapshotReads } from '../../snapshots/snapshot-access.js';
import { action, type RouteDef } from '../route-def.js';

const tag = 'Snapshots';

/**
 * Content-addressed blobs and snapshot manifests (code, inputs, outputs). Anyone with the
 * snapshots actions uploads; reads go through a job the caller may read (see snapshot-access.ts),
 * and a snapshot or blob outside those is 404, as if it did not exist.
 */
export const snapshotRoutes: RouteDef[] = [
  {
    method: 'post',
    path: '/api/blobs/missing',
    action: action('workspaces/snapshots/read'),
    tag,
    summary: 'Which blobs the server lacks (upload only those)',
    body: z.object({ hashes: z.array(z.string()) }),
    handler: (i) =>
      Promise.resolve({
        status: 200,
        body: { missing: i.services.snapshots.missing((i.body as { hashes?: unknown } | undefined)?.hashes) },
      }),
  },
  {
    method: 'put',
    path: '/api/blobs/{sha256}',
    action: action('workspaces/snapshots/write'),
    tag,
    summary: 'Upload one blob (raw bytes, verified against the hash)',
    raw: async (c, i) => {
      i.services.snapshots.blobs.put(i.params.sha256 ?? '', Buffer.from(await c.req.arrayBuffer()));
      return c.body(null, 204);
    },
  },
  {
    method: 'get',
    path: '/api/blobs/{sha256}',
    action: action('workspaces/snapshots/read'),
    tag,
    summary: 'Download one blob of a snapshot of a job the caller may read (404 otherwise)',
    query: [
      {
        name: 'snapshot',
        description:
          "The snapshot the blob belongs to (required, except for nodes reading their own jobs' files)",
      },
    ],
    raw: async (c, i) =>
      c.body(
        new Uint8Array(
          await snapshotReads(i.services).blob(i.caller, i.params.sha256 ?? '', i.query.snapshot),
        ),
        200,
        { 'content-type': 'application/octet-stream' },
      ),
  },
  {
    method: 'post',
    path: '/api/snapshots/validate',
    action: action('workspaces/snapshots/read'),
    tag,
    summary: 'Check a manifest (paths, size limit) before uploading its blobs',
    handler: (i) => Promise.resolve({ status: 200, body: i.services.snapshots.validate(i.body) }),
  },
  {
    method: 'put',
    path: '/api/snapshots',
    action: action('workspaces/snapshots/write'),
    tag,
    summary: 'Store a snapshot manifest (paths, sizes, hashes); answers its id',
    handler: async (i) => ({ status: 200, body: await i.services.snapshots.putManifest(i.body) }),
  },
  {
    method: 'get',
    path: '/api/snapshots/{id}',
    action: action('workspaces/snapshots/read'),
    tag,
    summary:
      'A snapshot manifest of a job the caller may read (its code, inputs, outputs or checkpoint; 404 otherwise)',
    handler: async (i) => ({
      status: 200,
      body: await snapshotReads(i.services).manifest(i.caller, i.params.id ?? ''),
    }),
  },
];
