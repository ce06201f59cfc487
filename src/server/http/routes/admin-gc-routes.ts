import { z } from 'zod';
import { collectGarbage } from '../../snapshots/blob-gc.js';
import { azuremlReferences } from '../arm/arm-code-routes.js';
import { route, type RouteDef } from '../route-def.js';

const gcQuery = z.strictObject({
  dryRun: z
    .enum(['true', 'false'])
    .default('true')
    .describe('true (the default): count what would be freed and delete nothing; false: delete'),
  retentionHours: z.coerce
    .number()
    .min(0)
    .max(100_000)
    .optional()
    .describe('Keep unreferenced blobs younger than this (default: storage.gcRetentionHours)'),
});

/** Storage administration: gc of the content-addressed store (server scope, root only). */
export const adminGcRoutes: RouteDef[] = [
  route({
    method: 'post',
    path: '/api/admin/gc',
    action: 'Hangar/admin/gc/action',
    auth: 'root',
    tag: 'Admin',
    summary:
      'Delete blobs no job, asset version or snapshot references, older than the retention period (dry run by default)',
    query: gcQuery,
    handler: async (i) => {
      const report = await collectGarbage(i.services.ctx, i.services.snapshots, {
        dryRun: i.query.dryRun !== 'false',
        external: () => azuremlReferences(i.services),
        ...(i.query.retentionHours !== undefined ? { retentionHours: i.query.retentionHours } : {}),
      });
      return { status: 200, body: report };
    },
  }),
];
