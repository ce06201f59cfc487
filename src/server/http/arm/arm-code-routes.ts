import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HangarError } from '../../../domain/errors/hangar-error.js';
import type { FileEntry } from '../../../domain/snapshots/manifest.js';
import type { Services } from '../../services/services.js';
import { action, type RouteDef, type RouteInput } from '../route-def.js';
import { workspaceId, WS } from './arm-paths.js';
import { containerSas, containersOf } from './blob-sas.js';
import { BLOB_ACCOUNT, blobContainers } from './blob-routes.js';

const tag = 'Azure ML (ARM)';

/** A code version: where the SDK uploaded the code, and the snapshot Hangar made of it. */
interface CodeVersion {
  codeUri: string;
  snapshotId: string;
  isAnonymous: boolean;
  properties: Record<string, string>;
  createdAt: string;
}

const enc = (s: string): string => Buffer.from(s).toString('base64url');

function blobPath(uri: string): string {
  try {
    return new URL(uri).pathname;
  } catch {
    return uri;
  }
}

function codePath(services: Services, ws: string, name: string, version: string): string {
  return join(services.ctx.config.home, 'azureml-codes', enc(ws), enc(name), `${enc(version)}.json`);
}

/**
 * What the Azure ML API keeps outside the store, for gc: the blobs of the Blob-service subset
 * (uploads the SDK reads back by name) and the snapshots of code versions.
 */
export function azuremlReferences(services: Services): { blobs: Set<string>; snapshots: Set<string> } {
  const snapshots = new Set<string>();
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.json'))
        snapshots.add((JSON.parse(readFileSync(p, 'utf8')) as CodeVersion).snapshotId);
    }
  };
  walk(join(services.ctx.config.home, 'azureml-codes'));
  return { blobs: blobContainers(services).referencedBlobs(), snapshots };
}

/** The code version an ARM code id names (`[azureml:]{WS}/codes/{name}/versions/{v}`), or NotFound. */
export function readCodeVersion(services: Services, ws: string, codeId: string): CodeVersion {
  const m = /\/codes\/([^/]+)\/versions\/([^/]+)$/.exec(codeId);
  // How jobs and components show the code they hold: the snapshot itself (`…/codes/snapshot/versions/<id>`).
  if (m?.[1] === 'snapshot' && /^[0-9a-f]{64}$/.test(m[2] ?? ''))
    return { codeUri: '', snapshotId: m[2] ?? '', isAnonymous: true, properties: {}, createdAt: '' };
  const path = m?.[1] && m[2] ? codePath(services, ws, m[1], m[2]) : undefined;
  if (!path || !existsSync(path))
    throw new HangarError('NotFound', `codeId: no code version '${codeId}' in workspace '${ws}'.`, 'codeId');
  return JSON.parse(readFileSync(path, 'utf8')) as CodeVersion;
}

/** Makes a snapshot of what the SDK uploaded under a codeUri (a folder prefix, or one file). */
async function snapshotOf(services: Services, ws: string, codeUri: string): Promise<string> {
  let url: URL;
  try {
    url = new URL(codeUri);
  } catch {
    throw new HangarError(
      'ValidationFailed',
      `properties.codeUri: not a URL; got '${codeUri}'.`,
      'properties.codeUri',
    );
  }
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const [account, container, ...rest] = parts;
  if (account !== BLOB_ACCOUNT || container !== containersOf(ws).blobstore || rest.length === 0)
    throw new HangarError(
      'ValidationFailed',
      `properties.codeUri: must point into this workspace's datastore (${url.origin}/${BLOB_ACCOUNT}/${containersOf(ws).blobstore}/…); got '${codeUri}'.`,
      'properties.codeUri',
    );
  return (await snapshotOfUpload(services, ws, rest.join('/'), 'properties.codeUri')).snapshotId;
}

/**
 * A snapshot of what the SDK uploaded to the workspace's blobstore under `prefix` (a folder, or one
 * file): blobs are shared with the upload, nothing is copied. `subPath` is the file's name in the
 * snapshot for a single file, '' for a folder.
 */
export async function snapshotOfUpload(
  services: Services,
  ws: string,
  path: string,
  field: string,
): Promise<{ snapshotId: string; subPath: string }> {
  const prefix = path.replace(/^\/+|\/+$/g, '');
  const container = containersOf(ws).blobstore;
  const store = blobContainers(services);
  const inFolder = prefix === '' ? [] : store.list(container, `${prefix}/`);
  const single = inFolder.length === 0 ? store.get(container, prefix) : undefined;
  if (inFolder.length === 0 && !single)
    throw new HangarError('NotFound', `${field}: nothing was uploaded at '${prefix}'.`, field);
  const base = prefix.split('/').pop() ?? prefix;
  const entries: FileEntry[] = (single ? [single] : inFolder).map((b) => ({
    path: single ? base : b.name.slice(prefix.length + 1),
    kind: 'file',
    sha256: b.sha256,
    size: b.size,
    mode: 0o644,
  }));
  const snapshotId = (await services.snapshots.putManifest({ version: 1, entries })).id;
  return { snapshotId, subPath: single ? base : '' };
}

function render(input: RouteInput, name: string, version: string, code: CodeVersion): unknown {
  return {
    id: `${workspaceId(input)}/codes/${name}/versions/${version}`,
    name: version,
    type: 'Microsoft.MachineLearningServices/workspaces/codes/versions',
    properties: {
      codeUri: code.codeUri,
      isAnonymous: code.isAnonymous,
      isArchived: false,
      properties: code.properties,
      tags: {},
    },
    systemData: { createdAt: code.createdAt, lastModifiedAt: code.createdAt },
  };
}

/** A datastore as the SDK reads it: the `accountName` trick makes it build path-style URLs to this server. */
function datastore(input: RouteInput, name: string): unknown {
  const ws = input.params.workspace ?? '';
  const c = containersOf(ws);
  const container =
    name === 'workspaceblobstore' ? c.blobstore : name === 'workspaceartifactstore' ? c.artifacts : undefined;
  if (!container)
    throw new HangarError(
      'NotFound',
      `Datastore '${name}' is not served to the Azure ML SDK; workspaceblobstore and workspaceartifactstore are.`,
      'name',
    );
  return {
    id: `${workspaceId(input)}/datastores/${name}`,
    name,
    type: 'Microsoft.MachineLearningServices/workspaces/datastores',
    properties: {
      datastoreType: 'AzureBlob',
      // The SDK builds https://{accountName}.blob.core.windows.net: the suffix lands in an ignored query.
      accountName: `${new URL(input.baseUrl).host}/${BLOB_ACCOUNT}/?`,
      containerName: container,
      endpoint: 'core.windows.net',
      protocol: 'https',
      credentials: { credentialsType: 'Sas' },
      isDefault: name === 'workspaceblobstore',
      description: '',
      tags: {},
      properties: {},
    },
  };
}

/** Code versions (over the snapshot store) and the two datastores the SDK's uploads and downloads use. */
export const armCodeRoutes: RouteDef[] = [
  {
    method: 'put',
    path: `${WS}/codes/{name}/versions/{version}`,
    action: action('workspaces/codes/versions/write'),
    tag,
    summary: 'Create a code version from code uploaded to the workspace datastore (idempotent)',
    handler: async (input) => {
      const { workspace: ws = '', name = '', version = '' } = input.params;
      await input.services.workspaces.get(ws);
      const props = (input.body as { properties?: Record<string, unknown> } | undefined)?.properties;
      const codeUri = props?.codeUri;
      if (typeof codeUri !== 'string' || !codeUri)
        throw new HangarError(
          'ValidationFailed',
          'properties.codeUri: required (a URL of uploaded code).',
          'properties.codeUri',
        );
      const path = codePath(input.services, ws, name, version);
      if (existsSync(path)) {
        const existing = JSON.parse(readFileSync(path, 'utf8')) as CodeVersion;
        // The same upload may be named through another host or port of this server: compare the blob path.
        if (blobPath(existing.codeUri) !== blobPath(codeUri))
          throw new HangarError(
            'Conflict',
            `Code version ${name}:${version} already exists with another codeUri; code versions cannot change.`,
            'properties.codeUri',
          );
        return { status: 200, body: render(input, name, version, existing) };
      }
      const code: CodeVersion = {
        codeUri,
        snapshotId: await snapshotOf(input.services, ws, codeUri),
        isAnonymous: props?.isAnonymous === true,
        properties: Object.fromEntries(
          Object.entries((props?.properties as Record<string, unknown> | undefined) ?? {}).map(([k, v]) => [
            k,
            String(v),
          ]),
        ),
        createdAt: input.services.ctx.clock.now().toISOString(),
      };
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, JSON.stringify(code));
      return { status: 201, body: render(input, name, version, code) };
    },
  },
  {
    method: 'get',
    path: `${WS}/codes/{name}/versions/{version}`,
    action: action('workspaces/codes/versions/read'),
    tag,
    summary: 'Get a code version',
    handler: (input) => {
      const { workspace: ws = '', name = '', version = '' } = input.params;
      const code = readCodeVersion(input.services, ws, `/codes/${name}/versions/${version}`);
      return Promise.resolve({ status: 200, body: render(input, name, version, code) });
    },
  },
  {
    method: 'get',
    path: `${WS}/datastores`,
    action: action('workspaces/datastores/read'),
    tag,
    summary: 'List the datastores the SDK uses (isDefault=true: the default one)',
    handler: async (input) => {
      await input.services.workspaces.get(input.params.workspace ?? '');
      const names =
        input.query.isDefault === 'true'
          ? ['workspaceblobstore']
          : ['workspaceblobstore', 'workspaceartifactstore'];
      return { status: 200, body: { value: names.map((n) => datastore(input, n)), nextLink: null } };
    },
  },
  {
    method: 'get',
    path: `${WS}/datastores/{name}`,
    action: action('workspaces/datastores/read'),
    tag,
    summary: 'Get a datastore (workspaceblobstore, workspaceartifactstore)',
    handler: async (input) => {
      await input.services.workspaces.get(input.params.workspace ?? '');
      return { status: 200, body: datastore(input, input.params.name ?? '') };
    },
  },
  {
    method: 'post',
    path: `${WS}/datastores/{name}/listSecrets`,
    action: action('workspaces/datastores/listSecrets/action'),
    tag,
    summary: "A SAS for the datastore's container (8 hours)",
    handler: async (input) => {
      await input.services.workspaces.get(input.params.workspace ?? '');
      const ds = datastore(input, input.params.name ?? '') as { properties: { containerName: string } };
      const expires = new Date(input.services.ctx.clock.now().getTime() + 8 * 3600_000);
      const sasToken = containerSas(
        input.services.ctx.secrets,
        ds.properties.containerName,
        input.caller.objectId,
        expires,
      );
      return { status: 200, body: { secretsType: 'Sas', sasToken } };
    },
  },
];
