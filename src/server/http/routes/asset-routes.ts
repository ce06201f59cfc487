import { z } from 'zod';
import type { AssetRecord } from '../../../domain/assets/asset-record.js';
import { toVersionResource } from '../../../domain/assets/asset-view.js';
import { componentVersionRequestSchema } from '../../../domain/assets/component-spec.js';
import { datastoreRequestSchema } from '../../../domain/assets/datastore-spec.js';
import { dataVersionRequestSchema, modelVersionRequestSchema } from '../../../domain/assets/data-spec.js';
import type { VersionedKind, VersionProperties } from '../../assets/asset-service.js';
import { DatastoreService } from '../../assets/datastore-service.js';
import { action, route, type RouteDef } from '../route-def.js';
import { armList, armResource, param, versionedRoutes } from './versioned-routes.js';

const ws = '/api/workspaces/{workspace}';

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
function kindRoutes(k: KindRoutes): RouteDef[] {
  const base = `${ws}/${k.segment}`;
  const read = action(`workspaces/${k.segment}/read`);
  const write = action(`workspaces/${k.segment}/write`);
  const tag = k.tag;
  const routes = versionedRoutes<AssetRecord>({
    base,
    tag,
    actions: {
      read,
      write,
      versionRead: read,
      versionWrite: write,
      versionDelete: action(`workspaces/${k.segment}/delete`),
    },
    body: k.body,
    versionSchema: armResource,
    summaries: {
      containers: `List ${k.segment} containers (one per name, with latestVersion and nextVersion)`,
      container: `Get a ${k.kind} container (404 when no version exists)`,
      versions: 'List versions, newest first',
      version: 'Get a version (`latest`: the newest non-archived one)',
      put: 'Create a version (201); the same content again updates description, tags and isArchived (200); other content is refused (409 AssetVersionExists)',
      post: 'Create the next version (Hangar: the next integer, no read-then-write race)',
      delete: 'Archive a version (versions are never deleted: jobs and lineage name them)',
    },
    ops: ({ assets: a }) => ({
      containers: (w, view) => a.listContainers(w, k.kind, view),
      container: (w, name) => a.getContainer(w, k.kind, name),
      versions: (w, name, view, page) => a.listVersions(w, k.kind, name, view, page),
      version: (w, name, version) => a.getVersion(w, k.kind, name, version),
      // The body was validated against the kind's request schema by mount().
      create: (w, name, version, body, caller) =>
        a.createVersion(
          w,
          k.kind,
          name,
          version,
          (body as { properties: VersionProperties }).properties,
          caller,
        ),
      setArchived: (w, name, version, archived) => a.setArchived(w, k.kind, name, version, archived),
    }),
    toResource: toVersionResource,
  });
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
export const assetRoutes: RouteDef[] = [...datastoreRoutes, ...kinds.flatMap(kindRoutes)];
