import { z } from 'zod';
import type { ListView } from '../../../domain/assets/asset-record.js';
import { toVersionResource } from '../../../domain/assets/asset-view.js';
import { componentVersionRequestSchema } from '../../../domain/assets/component-spec.js';
import { datastoreRequestSchema } from '../../../domain/assets/datastore-spec.js';
import { dataVersionRequestSchema, modelVersionRequestSchema } from '../../../domain/assets/data-spec.js';
import type { VersionedKind, VersionProperties } from '../../assets/asset-service.js';
import { DatastoreService } from '../../assets/datastore-service.js';
import { listBody, pageRequest } from '../paging.js';
import { action, route, type RouteDef, type RouteInput } from '../route-def.js';

const ws = '/api/workspaces/{workspace}';

/** Azure's listViewType, plus paging; other query parameters (api-version, $orderBy) are tolerated. */
const listQuery = z.object({
  listViewType: z
    .enum(['ActiveOnly', 'ArchivedOnly', 'All'])
    .optional()
    .describe('ActiveOnly (default), ArchivedOnly or All'),
  $top: z.string().optional().describe('Page size'),
  $skipToken: z.string().optional().describe('Continuation token from nextLink'),
});
const viewOf = (q: { listViewType?: ListView | undefined }): ListView => q.listViewType ?? 'ActiveOnly';
const pageOf = (q: { $top?: string | undefined; $skipToken?: string | undefined }) =>
  pageRequest({
    ...(q.$top !== undefined ? { $top: q.$top } : {}),
    ...(q.$skipToken !== undefined ? { $skipToken: q.$skipToken } : {}),
  });

const armResource = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  properties: z.record(z.string(), z.unknown()),
  systemData: z.record(z.string(), z.unknown()),
});
const armList = z.object({ value: z.array(armResource), nextLink: z.string().optional() });

const param = (i: Pick<RouteInput, 'params'>, key: string): string => i.params[key] ?? '';

interface KindRoutes {
  kind: VersionedKind;
  segment: string;
  tag: string;
  body: z.ZodType;
  /** Whether the version holds files Hangar stores (download routes). */
  files: boolean;
}

const kinds: KindRoutes[] = [
  { kind: 'data', segment: 'data', tag: 'Data', body: dataVersionRequestSchema, files: true },
  { kind: 'model', segment: 'models', tag: 'Models', body: modelVersionRequestSchema, files: true },
  {
    kind: 'component',
    segment: 'components',
    tag: 'Components',
    body: componentVersionRequestSchema,
    files: false,
  },
];

/** Containers, versions, archive/restore (and for data and models, their files) of one kind. */
function versionedRoutes(k: KindRoutes): RouteDef[] {
  const base = `${ws}/${k.segment}`;
  const read = action(`workspaces/${k.segment}/read`);
  const write = action(`workspaces/${k.segment}/write`);
  const del = action(`workspaces/${k.segment}/delete`);
  const tag = k.tag;
  const archiveRoutes = (path: string, withVersion: boolean): RouteDef[] =>
    (['archive', 'restore'] as const).map((verb) => ({
      method: 'post' as const,
      path: `${path}/${verb}`,
      action: write,
      tag,
      summary: `${verb === 'archive' ? 'Archive' : 'Restore'} ${withVersion ? 'a version' : 'every version'} (archived versions are not @latest but stay usable by version)`,
      response: { status: 200, description: 'The versions changed', schema: armList },
      handler: async (i: RouteInput) => {
        const changed = await i.services.assets.setArchived(
          param(i, 'workspace'),
          k.kind,
          param(i, 'name'),
          withVersion ? param(i, 'version') : undefined,
          verb === 'archive',
        );
        return { status: 200, body: { value: changed.map(toVersionResource) } };
      },
    }));
  const routes: RouteDef[] = [
    route({
      method: 'get',
      path: base,
      action: read,
      tag,
      summary: `List ${k.segment} containers (one per name, with latestVersion and nextVersion)`,
      query: listQuery,
      response: { status: 200, description: 'Containers', schema: armList },
      handler: async (i) => ({
        status: 200,
        body: {
          value: await i.services.assets.listContainers(param(i, 'workspace'), k.kind, viewOf(i.query)),
        },
      }),
    }),
    {
      method: 'get',
      path: `${base}/{name}`,
      action: read,
      tag,
      summary: `Get a ${k.kind} container (404 when no version exists)`,
      response: { status: 200, description: 'The container', schema: armResource },
      handler: async (i) => ({
        status: 200,
        body: await i.services.assets.getContainer(param(i, 'workspace'), k.kind, param(i, 'name')),
      }),
    },
    route({
      method: 'get',
      path: `${base}/{name}/versions`,
      action: read,
      tag,
      summary: 'List versions, newest first',
      query: listQuery,
      response: { status: 200, description: 'A page of versions', schema: armList },
      handler: async (i) => {
        const page = await i.services.assets.listVersions(
          param(i, 'workspace'),
          k.kind,
          param(i, 'name'),
          viewOf(i.query),
          pageOf(i.query),
        );
        const q = Object.fromEntries(Object.entries(i.query).filter(([, v]) => v !== undefined)) as Record<
          string,
          string
        >;
        return {
          status: 200,
          body: listBody(
            page,
            toVersionResource,
            i.baseUrl,
            `/api/workspaces/${param(i, 'workspace')}/${k.segment}/${param(i, 'name')}/versions`,
            q,
          ),
        };
      },
    }),
    {
      method: 'get',
      path: `${base}/{name}/versions/{version}`,
      action: read,
      tag,
      summary: 'Get a version (`latest`: the newest non-archived one)',
      response: { status: 200, description: 'The version', schema: armResource },
      handler: async (i) => ({
        status: 200,
        body: toVersionResource(
          await i.services.assets.getVersion(
            param(i, 'workspace'),
            k.kind,
            param(i, 'name'),
            param(i, 'version'),
          ),
        ),
      }),
    },
    {
      method: 'put',
      path: `${base}/{name}/versions/{version}`,
      action: write,
      tag,
      summary:
        'Create a version (201); the same content again updates description, tags and isArchived (200); other content is refused (409 AssetVersionExists)',
      body: k.body,
      response: {
        status: 201,
        description: 'Created (200 when it existed with this content)',
        schema: armResource,
      },
      handler: async (i) => {
        const r = await i.services.assets.createVersion(
          param(i, 'workspace'),
          k.kind,
          param(i, 'name'),
          param(i, 'version'),
          (i.body as { properties: VersionProperties }).properties,
          i.caller,
        );
        return { status: r.created ? 201 : 200, body: toVersionResource(r.record) };
      },
    },
    {
      method: 'post',
      path: `${base}/{name}/versions`,
      action: write,
      tag,
      summary: 'Create the next version (Hangar: the next integer, no read-then-write race)',
      body: k.body,
      response: { status: 201, description: 'Created', schema: armResource },
      handler: async (i) => {
        const r = await i.services.assets.createVersion(
          param(i, 'workspace'),
          k.kind,
          param(i, 'name'),
          undefined,
          (i.body as { properties: VersionProperties }).properties,
          i.caller,
        );
        return { status: 201, body: toVersionResource(r.record) };
      },
    },
    {
      method: 'delete',
      path: `${base}/{name}/versions/{version}`,
      action: del,
      tag,
      summary: 'Archive a version (versions are never deleted: jobs and lineage name them)',
      response: { status: 200, description: 'The archived version', schema: armResource },
      handler: async (i) => {
        const [r] = await i.services.assets.setArchived(
          param(i, 'workspace'),
          k.kind,
          param(i, 'name'),
          param(i, 'version'),
          true,
        );
        return { status: 200, body: r ? toVersionResource(r) : undefined };
      },
    },
    ...archiveRoutes(`${base}/{name}`, false),
    ...archiveRoutes(`${base}/{name}/versions/{version}`, true),
  ];
  if (k.files && (k.kind === 'data' || k.kind === 'model')) {
    const kind = k.kind;
    routes.push(
      {
        method: 'get',
        path: `${base}/{name}/versions/{version}/manifest`,
        action: read,
        tag,
        summary: "The version's files (a snapshot manifest: path, size, sha256); download each blob below",
        response: { status: 200, description: 'The manifest' },
        handler: async (i) => ({
          status: 200,
          body: await i.services.assets.manifestOf(
            param(i, 'workspace'),
            kind,
            param(i, 'name'),
            param(i, 'version'),
          ),
        }),
      },
      {
        method: 'get',
        path: `${base}/{name}/versions/{version}/blobs/{sha256}`,
        action: read,
        tag,
        summary: "One file of the version, by its sha256 (only blobs in the version's manifest)",
        raw: async (c, i) =>
          c.body(
            new Uint8Array(
              await i.services.assets.blobOf(
                param(i, 'workspace'),
                kind,
                param(i, 'name'),
                param(i, 'version'),
                param(i, 'sha256'),
              ),
            ),
            200,
            { 'content-type': 'application/octet-stream' },
          ),
      },
    );
  }
  return routes;
}

const dsBase = `${ws}/datastores`;
const datastoreRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: dsBase,
    action: action('workspaces/datastores/read'),
    tag: 'Datastores',
    summary: 'List datastores (workspaceblobstore, the default, is always there)',
    query: z.object({
      isDefault: z.enum(['true', 'false']).optional().describe('Only the default (true) or the others'),
    }),
    response: { status: 200, description: 'Datastores (never their secrets)', schema: armList },
    handler: async (i) => {
      const all = await i.services.datastores.list(param(i, 'workspace'));
      const wanted = i.query.isDefault;
      const kept =
        wanted === undefined ? all : all.filter((d) => (d.doc.isDefault === true) === (wanted === 'true'));
      return { status: 200, body: { value: kept.map((d) => DatastoreService.render(d)) } };
    },
  }),
  {
    method: 'get',
    path: `${dsBase}/{name}`,
    action: action('workspaces/datastores/read'),
    tag: 'Datastores',
    summary: 'Get a datastore (never its secrets; `reachable` says whether Hangar reads its files)',
    response: { status: 200, description: 'The datastore', schema: armResource },
    handler: async (i) => ({
      status: 200,
      body: DatastoreService.render(await i.services.datastores.get(param(i, 'workspace'), param(i, 'name'))),
    }),
  },
  route({
    method: 'put',
    path: `${dsBase}/{name}`,
    action: action('workspaces/datastores/write'),
    tag: 'Datastores',
    summary:
      'Create or replace a datastore: HangarPath (a folder every node reaches, checked now) or an Azure type kept as a record',
    body: datastoreRequestSchema,
    response: { status: 201, description: 'Created (200 when replaced)', schema: armResource },
    handler: async (i) => {
      const r = await i.services.datastores.put(param(i, 'workspace'), param(i, 'name'), i.body, i.caller);
      return { status: r.created ? 201 : 200, body: DatastoreService.render(r.record) };
    },
  }),
  {
    method: 'delete',
    path: `${dsBase}/{name}`,
    action: action('workspaces/datastores/delete'),
    tag: 'Datastores',
    summary: 'Delete a datastore and its secrets (not workspaceblobstore)',
    response: { status: 200, description: 'Deleted' },
    handler: async (i) => {
      await i.services.datastores.delete(param(i, 'workspace'), param(i, 'name'));
      return { status: 200 };
    },
  },
  {
    method: 'post',
    path: `${dsBase}/{name}/listSecrets`,
    action: action('workspaces/datastores/listSecrets/action'),
    tag: 'Datastores',
    summary: "A datastore's secrets (account key, SAS token or client secret); audited",
    response: {
      status: 200,
      description: 'The secrets, in Azure shape ({secretsType, key|sasToken|clientSecret})',
      schema: z.record(z.string(), z.string()),
    },
    handler: async (i) => ({
      status: 200,
      body: await i.services.datastores.listSecrets(param(i, 'workspace'), param(i, 'name')),
    }),
  },
];

/** Datastores, data, models and components in Azure ML's REST shape (ARM envelope, containers and versions). */
export const assetRoutes: RouteDef[] = [...datastoreRoutes, ...kinds.flatMap(versionedRoutes)];
