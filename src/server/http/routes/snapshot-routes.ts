import { z } from 'zod';
import { action, type RouteDef } from '../route-def.js';

const tag = 'Snapshots';

/** Content-addressed blobs and snapshot manifests (code, inputs, outputs). */
export const snapshotRoutes: RouteDef[] = [
  {
    method: 'post', path: '/api/blobs/missing', action: action('workspaces/snapshots/read'), tag, summary: 'Which blobs the server lacks (upload only those)',
    body: z.object({ hashes: z.array(z.string()) }),
    handler: (i) => Promise.resolve({ status: 200, body: { missing: i.services.snapshots.missing((i.body as { hashes?: unknown } | undefined)?.hashes) } }),
  },
  {
    method: 'put', path: '/api/blobs/{sha256}', action: action('workspaces/snapshots/write'), tag, summary: 'Upload one blob (raw bytes, verified against the hash)',
    raw: async (c, i) => {
      i.services.snapshots.blobs.put(i.params.sha256 ?? '', Buffer.from(await c.req.arrayBuffer()));
      return c.body(null, 204);
    },
  },
  {
    method: 'get', path: '/api/blobs/{sha256}', action: action('workspaces/snapshots/read'), tag, summary: 'Download one blob',
    raw: (c, i) => Promise.resolve(c.body(new Uint8Array(i.services.snapshots.blobs.get(i.params.sha256 ?? '')), 200, { 'content-type': 'application/octet-stream' })),
  },
  {
    method: 'post', path: '/api/snapshots/validate', action: action('workspaces/snapshots/read'), tag, summary: 'Check a manifest (paths, size limit) before uploading its blobs',
    handler: (i) => Promise.resolve({ status: 200, body: i.services.snapshots.validate(i.body) }),
  },
  {
    method: 'put', path: '/api/snapshots', action: action('workspaces/snapshots/write'), tag, summary: 'Store a snapshot manifest (paths, sizes, hashes); answers its id',
    handler: async (i) => ({ status: 200, body: await i.services.snapshots.putManifest(i.body) }),
  },
  {
    method: 'get', path: '/api/snapshots/{id}', action: action('workspaces/snapshots/read'), tag, summary: 'A snapshot manifest',
    handler: async (i) => ({ status: 200, body: await i.services.snapshots.getManifest(i.params.id ?? '') }),
  },
];
