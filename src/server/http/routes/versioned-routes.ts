import { z } from 'zod';
import type { Principal } from '../../../domain/access/authorize.js';
import type { ListView } from '../../../domain/assets/asset-record.js';
import type { Services } from '../../services/services.js';
import { listBody, pageRequest } from '../paging.js';
import { route, type RouteDef, type RouteInput } from '../route-def.js';

/** Azure's listViewType, plus paging; other query parameters (api-version, $orderBy: always newest first) are tolerated. */
export const listQuery = z.object({
  listViewType: z
    .enum(['ActiveOnly', 'ArchivedOnly', 'All'])
    .optional()
    .describe('ActiveOnly (default), ArchivedOnly or All'),
  $top: z.string().optional().describe('Page size'),
  $skipToken: z.string().optional().describe('Continuation token from nextLink'),
});

/** A resource in the ARM envelope. */
export const armResource = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  properties: z.record(z.string(), z.unknown()),
  systemData: z.record(z.string(), z.unknown()),
});
export const armList = z.object({ value: z.array(armResource), nextLink: z.string().optional() });

/** A path parameter as matched ('' when absent). */
export const param = (i: Pick<RouteInput, 'params'>, key: string): string => i.params[key] ?? '';

/** A page as the services answer it (routes never name the store). */
type PageRequest = ReturnType<typeof pageRequest>;
interface Page<R> {
  items: R[];
  skipToken?: string;
}

/** The service calls behind one versioned kind's routes, by workspace and name. */
export interface VersionedOps<R> {
  containers(ws: string, view: ListView): Promise<unknown[]>;
  container(ws: string, name: string): Promise<unknown>;
  versions(ws: string, name: string, view: ListView, page: PageRequest): Promise<Page<R>>;
  version(ws: string, name: string, version: string): Promise<R>;
  /** `version` undefined: the next one (or, for environments, the one with an identical spec). */
  create(
    ws: string,
    name: string,
    version: string | undefined,
    body: unknown,
    caller: Principal,
  ): Promise<{ record: R; created: boolean }>;
  setArchived(ws: string, name: string, version: string | undefined, archived: boolean): Promise<R[]>;
}

/**
 * One versioned kind (environments, data, models, components): Azure ML's containers and immutable
 * versions, archive/restore. The kinds differ in their service, their request schema, their
 * permission names and the words of their summaries; the routes are the same.
 */
export interface VersionedKindRoutes<R> {
  /** The collection path, e.g. /api/workspaces/{workspace}/environments. */
  base: string;
  tag: string;
  /** Permission actions: on the kind, and on its versions (environments name them apart). */
  actions: { read: string; write: string; versionRead: string; versionWrite: string; versionDelete: string };
  body: z.ZodType;
  /** The response schema of one version. */
  versionSchema: z.ZodType;
  summaries: {
    containers: string;
    container: string;
    versions: string;
    version: string;
    put: string;
    post: string;
    delete: string;
  };
  ops: (services: Services) => VersionedOps<R>;
  toResource: (r: R) => unknown;
}

const viewOf = (q: { listViewType?: ListView | undefined }): ListView => q.listViewType ?? 'ActiveOnly';

/** The routes of one versioned kind: containers, versions, create (PUT and POST), archive and restore. */
export function versionedRoutes<R>(k: VersionedKindRoutes<R>): RouteDef[] {
  const { base, tag, actions } = k;
  const ws = (i: RouteInput) => param(i, 'workspace');
  const name = (i: RouteInput) => param(i, 'name');
  const versionList = z.object({ value: z.array(k.versionSchema), nextLink: z.string().optional() });
  const archiveRoutes = (path: string, withVersion: boolean): RouteDef[] =>
    (['archive', 'restore'] as const).map((verb) => ({
      method: 'post' as const,
      path: `${path}/${verb}`,
      action: actions.write,
      tag,
      summary: `${verb === 'archive' ? 'Archive' : 'Restore'} ${withVersion ? 'a version' : 'every version'} (archived versions are not @latest but stay usable by version)`,
      response: { status: 200, description: 'The versions changed', schema: versionList },
      handler: async (i: RouteInput) => {
        const changed = await k
          .ops(i.services)
          .setArchived(ws(i), name(i), withVersion ? param(i, 'version') : undefined, verb === 'archive');
        return { status: 200, body: { value: changed.map(k.toResource) } };
      },
    }));
  const create = (version: (i: RouteInput) => string | undefined) => async (i: RouteInput) => {
    const r = await k.ops(i.services).create(ws(i), name(i), version(i), i.body, i.caller);
    return { status: r.created ? 201 : 200, body: k.toResource(r.record) };
  };
  return [
    route({
      method: 'get',
      path: base,
      action: actions.read,
      tag,
      summary: k.summaries.containers,
      query: listQuery,
      response: { status: 200, description: 'Containers', schema: z.object({ value: z.array(armResource) }) },
      handler: async (i) => ({
        status: 200,
        body: { value: await k.ops(i.services).containers(ws(i), viewOf(i.query)) },
      }),
    }),
    {
      method: 'get',
      path: `${base}/{name}`,
      action: actions.read,
      tag,
      summary: k.summaries.container,
      response: { status: 200, description: 'The container', schema: armResource },
      handler: async (i) => ({ status: 200, body: await k.ops(i.services).container(ws(i), name(i)) }),
    },
    route({
      method: 'get',
      path: `${base}/{name}/versions`,
      action: actions.read,
      tag,
      summary: k.summaries.versions,
      query: listQuery,
      response: { status: 200, description: 'A page of versions', schema: versionList },
      handler: async (i) => {
        const page = await k.ops(i.services).versions(
          ws(i),
          name(i),
          viewOf(i.query),
          pageRequest({
            ...(i.query.$top !== undefined ? { $top: i.query.$top } : {}),
            ...(i.query.$skipToken !== undefined ? { $skipToken: i.query.$skipToken } : {}),
          }),
        );
        const q = Object.fromEntries(Object.entries(i.query).filter(([, v]) => v !== undefined)) as Record<
          string,
          string
        >;
        const path = `${base.replace('{workspace}', ws(i))}/${name(i)}/versions`;
        return { status: 200, body: listBody(page, k.toResource, i.baseUrl, path, q) };
      },
    }),
    {
      method: 'get',
      path: `${base}/{name}/versions/{version}`,
      action: actions.versionRead,
      tag,
      summary: k.summaries.version,
      response: { status: 200, description: 'The version', schema: k.versionSchema },
      handler: async (i) => ({
        status: 200,
        body: k.toResource(await k.ops(i.services).version(ws(i), name(i), param(i, 'version'))),
      }),
    },
    {
      method: 'put',
      path: `${base}/{name}/versions/{version}`,
      action: actions.versionWrite,
      tag,
      summary: k.summaries.put,
      body: k.body,
      response: {
        status: 201,
        description: 'Created (200 when it existed with this content)',
        schema: k.versionSchema,
      },
      handler: create((i) => param(i, 'version')),
    },
    {
      method: 'post',
      path: `${base}/{name}/versions`,
      action: actions.versionWrite,
      tag,
      summary: k.summaries.post,
      body: k.body,
      response: { status: 201, description: 'Created (200 when reused)', schema: k.versionSchema },
      handler: create(() => undefined),
    },
    {
      method: 'delete',
      path: `${base}/{name}/versions/{version}`,
      action: actions.versionDelete,
      tag,
      summary: k.summaries.delete,
      response: { status: 200, description: 'The archived version', schema: k.versionSchema },
      handler: async (i) => {
        const [r] = await k.ops(i.services).setArchived(ws(i), name(i), param(i, 'version'), true);
        return { status: 200, body: r ? k.toResource(r) : undefined };
      },
    },
    ...archiveRoutes(`${base}/{name}`, false),
    ...archiveRoutes(`${base}/{name}/versions/{version}`, true),
  ];
}
