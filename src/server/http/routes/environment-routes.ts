import { z } from 'zod';
import type { ListView } from '../../../domain/assets/asset-record.js';
import {
  environmentVersionRequestSchema,
  environmentVersionResourceSchema,
  toEnvironmentResource,
} from '../../environments/environment-service.js';
import { listBody, pageRequest } from '../paging.js';
import { action, route, type RouteDef, type RouteInput } from '../route-def.js';

const base = '/api/workspaces/{workspace}/environments';
const tag = 'Environments';
const read = action('workspaces/environments/read');
const write = action('workspaces/environments/write');
const p = (i: Pick<RouteInput, 'params'>) => ({
  ws: i.params.workspace ?? '',
  name: i.params.name ?? '',
  version: i.params.version ?? '',
});

/** Azure's listViewType, plus paging; other parameters (api-version, $orderBy: always newest first) are tolerated. */
const listQuery = z.object({
  listViewType: z
    .enum(['ActiveOnly', 'ArchivedOnly', 'All'])
    .optional()
    .describe('ActiveOnly (default), ArchivedOnly or All'),
  $top: z.string().optional().describe('Page size'),
  $skipToken: z.string().optional().describe('Continuation token'),
});
const viewOf = (q: { listViewType?: ListView | undefined }): ListView => q.listViewType ?? 'ActiveOnly';
const armResource = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  properties: z.record(z.string(), z.unknown()),
  systemData: z.record(z.string(), z.unknown()),
});
const versionList = z.object({
  value: z.array(environmentVersionResourceSchema),
  nextLink: z.string().optional(),
});

const archiveRoutes = (path: string, withVersion: boolean): RouteDef[] =>
  (['archive', 'restore'] as const).map((verb) => ({
    method: 'post' as const,
    path: `${path}/${verb}`,
    action: write,
    tag,
    summary: `${verb === 'archive' ? 'Archive' : 'Restore'} ${withVersion ? 'a version' : 'every version'} (archived versions are not latest but stay usable by version)`,
    response: { status: 200, description: 'The versions changed', schema: versionList },
    handler: async (i: RouteInput) => {
      const changed = await i.services.environments.setArchived(
        p(i).ws,
        p(i).name,
        withVersion ? p(i).version : undefined,
        verb === 'archive',
      );
      return { status: 200, body: { value: changed.map(toEnvironmentResource) } };
    },
  }));

/** Environments in Azure's shape: containers, immutable versions (`latest` label), reuse, archive/restore. */
export const environmentRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: base,
    action: read,
    tag,
    summary: 'List environment containers (one per name, with latestVersion and nextVersion)',
    query: listQuery,
    response: { status: 200, description: 'Containers', schema: z.object({ value: z.array(armResource) }) },
    handler: async (i) => ({
      status: 200,
      body: { value: await i.services.environments.containers(p(i).ws, viewOf(i.query)) },
    }),
  }),
  {
    method: 'get',
    path: `${base}/{name}`,
    action: read,
    tag,
    summary: 'Get an environment container (404 when no version exists)',
    response: { status: 200, description: 'The container', schema: armResource },
    handler: async (i) => ({
      status: 200,
      body: await i.services.environments.container(p(i).ws, p(i).name),
    }),
  },
  route({
    method: 'get',
    path: `${base}/{name}/versions`,
    action: read,
    tag,
    summary: 'List versions of an environment, newest first',
    query: listQuery,
    response: { status: 200, description: 'A page of versions', schema: versionList },
    handler: async (i) => {
      const page = await i.services.environments.list(
        p(i).ws,
        p(i).name,
        pageRequest({
          ...(i.query.$top !== undefined ? { $top: i.query.$top } : {}),
          ...(i.query.$skipToken !== undefined ? { $skipToken: i.query.$skipToken } : {}),
        }),
        viewOf(i.query),
      );
      const q = Object.fromEntries(Object.entries(i.query).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >;
      return {
        status: 200,
        body: listBody(
          page,
          toEnvironmentResource,
          i.baseUrl,
          `/api/workspaces/${p(i).ws}/environments/${p(i).name}/versions`,
          q,
        ),
      };
    },
  }),
  {
    method: 'get',
    path: `${base}/{name}/versions/{version}`,
    action: action('workspaces/environments/versions/read'),
    tag,
    summary: 'Get an environment version (`latest` for the newest non-archived)',
    response: { status: 200, description: 'The version', schema: environmentVersionResourceSchema },
    handler: async (i) => ({
      status: 200,
      body: toEnvironmentResource(await i.services.environments.get(p(i).ws, p(i).name, p(i).version)),
    }),
  },
  route({
    method: 'put',
    path: `${base}/{name}/versions/{version}`,
    action: action('workspaces/environments/versions/write'),
    tag,
    summary:
      'Create an environment version (201); the same spec again updates description, tags and isArchived (200); another spec is refused (409 AssetVersionExists)',
    body: environmentVersionRequestSchema,
    response: { status: 201, description: 'Created', schema: environmentVersionResourceSchema },
    handler: async (i) => {
      const r = await i.services.environments.create(p(i).ws, p(i).name, p(i).version, i.body, i.caller);
      return { status: r.created ? 201 : 200, body: toEnvironmentResource(r.record) };
    },
  }),
  route({
    method: 'post',
    path: `${base}/{name}/versions`,
    action: action('workspaces/environments/versions/write'),
    tag,
    summary:
      'Register an environment without a version (Hangar): an identical spec answers its existing version (200), else the next integer (201)',
    body: environmentVersionRequestSchema,
    response: {
      status: 201,
      description: 'Created (200 when reused)',
      schema: environmentVersionResourceSchema,
    },
    handler: async (i) => {
      const r = await i.services.environments.create(p(i).ws, p(i).name, undefined, i.body, i.caller);
      return { status: r.created ? 201 : 200, body: toEnvironmentResource(r.record) };
    },
  }),
  {
    method: 'delete',
    path: `${base}/{name}/versions/{version}`,
    action: action('workspaces/environments/versions/delete'),
    tag,
    summary: 'Archive an environment version (versions are never deleted: jobs name them)',
    response: { status: 200, description: 'The archived version', schema: environmentVersionResourceSchema },
    handler: async (i) => {
      const [r] = await i.services.environments.setArchived(p(i).ws, p(i).name, p(i).version, true);
      return { status: 200, body: r ? toEnvironmentResource(r) : undefined };
    },
  },
  ...archiveRoutes(`${base}/{name}`, false),
  ...archiveRoutes(`${base}/{name}/versions/{version}`, true),
];
