import { snapshotOfPath, snapshotUri } from '../../../domain/assets/snapshot-uri.js';
import { defaultDatastoreName } from '../../../domain/assets/datastore-spec.js';
import type { Services } from '../../services/services.js';
import { assetRoutes } from '../routes/asset-routes.js';
import type { RouteDef, RouteInput, RouteOutput } from '../route-def.js';
import { readCodeVersion, snapshotOfUpload } from './arm-code-routes.js';
import { environmentRef } from './arm-job-body.js';
import { armId, workspaceId, WS } from './arm-paths.js';
import { BLOB_ACCOUNT } from './blob-routes.js';
import { containersOf } from './blob-sas.js';

const tag = 'Azure ML (ARM)';
const nativeWs = '/api/workspaces/{workspace}';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});

const longDatastoreUri =
  /^azureml:\/\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/workspaces\/[^/]+\/datastores\/([^/]+)\/paths\/(.*)$/i;
const shortDatastoreUri = /^azureml:\/\/datastores\/([^/]+)\/paths\/(.*)$/;

/**
 * An answer (one resource or a list) as the SDK reads it: ARM ids, and a model version's `flavors`
 * always an object (the SDK iterates it).
 */
function armShape(input: RouteInput, segment: string, body: unknown): unknown {
  if (!body || typeof body !== 'object') return body;
  const b = body as { id?: unknown; value?: unknown[]; properties?: Json };
  if (Array.isArray(b.value))
    return { value: b.value.map((v) => armShape(input, segment, v)), nextLink: null };
  const out: Json = typeof b.id === 'string' ? { ...b, id: armId(input, b.id) } : { ...b };
  if (segment === 'models' && b.properties && /\/versions\/[^/]+$/.test(String(b.id)))
    out.properties = { flavors: {}, ...b.properties };
  const spec = obj(b.properties?.componentSpec);
  const snap = typeof spec.code === 'string' ? shortDatastoreUri.exec(spec.code) : null;
  const code = snap ? snapshotOfPath(snap[2] ?? '') : undefined;
  // The SDK parses the code back as an ARM code id (as jobs show theirs), not a datastore path.
  if (code)
    out.properties = {
      ...b.properties,
      componentSpec: {
        ...spec,
        code: `azureml:${workspaceId(input)}/codes/snapshot/versions/${code.snapshotId}`,
      },
    };
  return out;
}

/**
 * A URI as the SDK sends it (what it uploaded: `azureml://[subscriptions/…/]datastores/workspaceblobstore/paths/LocalUpload/…`
 * or the blob URL itself) in the form the asset service takes: uploads become a snapshot of the
 * uploaded blobs (shared, not copied); other URIs pass through, the long datastore form shortened.
 */
export async function nativeUri(services: Services, ws: string, uri: string, field: string): Promise<string> {
  const m = longDatastoreUri.exec(uri) ?? shortDatastoreUri.exec(uri);
  let uploaded: string | undefined;
  if (m) {
    const [, datastore = '', path = ''] = m;
    if (datastore !== defaultDatastoreName || snapshotOfPath(path))
      return `azureml://datastores/${datastore}/paths/${path}`;
    uploaded = path;
  } else if (/^https:\/\//i.test(uri)) {
    const parts = new URL(uri).pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] === BLOB_ACCOUNT && parts[1] === containersOf(ws).blobstore)
      uploaded = parts.slice(2).join('/');
  }
  if (uploaded === undefined) return uri;
  const snap = await snapshotOfUpload(services, ws, uploaded, field);
  return snapshotUri(snap.snapshotId, snap.subPath);
}

/** A version PUT body from the SDK, its uploads and ARM references in the native service's forms. */
async function nativeBody(input: RouteInput, segment: string): Promise<unknown> {
  const ws = input.params.workspace ?? '';
  const body = obj(input.body);
  const props = { ...obj(body.properties) };
  for (const field of ['dataUri', 'modelUri'])
    if (typeof props[field] === 'string')
      props[field] = await nativeUri(input.services, ws, props[field], `properties.${field}`);
  if (segment === 'components' && body.properties) {
    const spec = { ...obj(props.componentSpec) };
    if (typeof spec.code === 'string') {
      const code = spec.code.replace(/^azureml:/, '');
      spec.code = /\/codes\/[^/]+\/versions\/[^/]+$/.test(code)
        ? snapshotUri(readCodeVersion(input.services, ws, code).snapshotId)
        : await nativeUri(input.services, ws, spec.code, 'properties.componentSpec.code');
    }
    if (typeof spec.environment === 'string') spec.environment = environmentRef(spec.environment);
    props.componentSpec = spec;
  }
  return { ...body, properties: props };
}

/** The ARM route running the native asset route with this method and path suffix. */
function delegated(segment: string, method: RouteDef['method'], suffix: string, summary: string): RouteDef {
  const nativePath = `${nativeWs}/${segment}${suffix}`;
  const route = assetRoutes.find((r) => r.method === method && r.path === nativePath);
  if (!route?.handler) throw new Error(`no native asset route ${method} ${nativePath}`);
  const handler = route.handler;
  return {
    ...route,
    path: `${WS}/${segment}${suffix}`,
    tag,
    summary,
    handler: async (input: RouteInput): Promise<RouteOutput> => {
      const body = method === 'put' ? await nativeBody(input, segment) : input.body;
      // The SDK resolves `azureml:name@latest` by listing `…/data/azureml:name/versions`: Azure takes the prefix.
      const params = { ...input.params };
      if (params.name !== undefined) params.name = params.name.replace(/^azureml:/, '');
      const out = await handler({ ...input, params, body });
      return { ...out, body: armShape(input, segment, out.body) };
    },
  };
}

/** Data, model and component containers and versions in ARM's paths (the SDK's), over the asset service. */
export const armAssetRoutes: RouteDef[] = (['data', 'models', 'components'] as const).flatMap((segment) => [
  delegated(segment, 'get', '', `List ${segment} containers (ARM shape)`),
  delegated(
    segment,
    'get',
    '/{name}',
    `Get a ${segment} container (404: no version yet, the SDK starts at 1)`,
  ),
  delegated(segment, 'get', '/{name}/versions', 'List versions, newest first (`$top=1`: the latest)'),
  delegated(segment, 'get', '/{name}/versions/{version}', `Get a ${segment} version (ARM shape)`),
  delegated(
    segment,
    'put',
    '/{name}/versions/{version}',
    `Create a ${segment} version (local uploads become snapshots of the uploaded blobs)`,
  ),
]);
