import { z } from 'zod';
import type { VersionedKind } from '../../assets/asset-service.js';
import { action, route, type RouteDef } from '../route-def.js';

const lineageEntry = z.object({
  workspace: z.string(),
  job: z.string(),
  direction: z.enum(['input', 'output']),
  port: z.string(),
  kind: z.string(),
  name: z.string(),
  version: z.string(),
  at: z.string(),
});

const kinds: { kind: VersionedKind & ('data' | 'model' | 'component'); segment: string; tag: string }[] = [
  { kind: 'data', segment: 'data', tag: 'Data' },
  { kind: 'model', segment: 'models', tag: 'Models' },
  { kind: 'component', segment: 'components', tag: 'Components' },
];

/** Lineage of an asset version: the jobs that read it (inputs) or wrote it (outputs), oldest first. */
export const lineageRoutes: RouteDef[] = kinds.map((k) =>
  route({
    method: 'get',
    path: `/api/workspaces/{workspace}/${k.segment}/{name}/versions/{version}/jobs`,
    action: action(`workspaces/${k.segment}/read`),
    tag: k.tag,
    summary: `Jobs that read or wrote a ${k.kind} version (lineage); version may be 'latest'`,
    params: z.object({ workspace: z.string(), name: z.string().min(1), version: z.string().min(1) }),
    response: {
      status: 200,
      description: 'Lineage edges',
      schema: z.object({ value: z.array(lineageEntry) }),
    },
    handler: async (i) => {
      // NotFound (listing the versions that exist) when the version does not.
      const record = await i.services.assets.getVersion(
        i.params.workspace,
        k.kind,
        i.params.name,
        i.params.version,
      );
      const value = await i.services.assets.lineageOfAsset(
        i.params.workspace,
        k.kind,
        record.name,
        record.version,
      );
      return { status: 200, body: { value } };
    },
  }),
);
