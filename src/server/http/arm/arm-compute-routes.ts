import { z } from 'zod';
import { isInstance, type ComputeRecord } from '../../../domain/compute/compute-record.js';
import { toComputeResource } from '../../../domain/compute/compute-view.js';
import { HangarError } from '../../../domain/errors/hangar-error.js';
import { JsonText } from '../json-text.js';
import { computeRoutes } from '../routes/compute-routes.js';
import { instanceRoutes } from '../routes/instance-routes.js';
import { action, type RouteDef, type RouteInput, type RouteOutput } from '../route-def.js';
import { normalizeSdkComputeBody } from './arm-compute-body.js';
import { armId, WS } from './arm-paths.js';
import { operationHeaders, operationStatus, readOperationId, type OperationKind } from './arm-operations.js';

const tag = 'Azure ML (ARM)';
const base = `${WS}/computes`;

/** The native route with this method and path suffix: ARM routes run the same handlers over the same services. */
function native(routes: RouteDef[], method: RouteDef['method'], suffix: string): RouteDef {
  const found = routes.find(
    (r) => r.method === method && r.path === `/api/workspaces/{workspace}/computes${suffix}`,
  );
  if (!found?.handler) throw new Error(`no native compute route ${method} ${suffix}`);
  return found;
}

/** Rewrites native ids (`/workspaces/…`) in a compute (or a list of them) to ARM ids. */
function armBody(input: RouteInput, body: unknown): unknown {
  // The native reads answer text rendered once per record; ARM ids are per request.
  if (body instanceof JsonText) return armBody(input, JSON.parse(body.text));
  if (!body || typeof body !== 'object') return body;
  const b = body as { id?: unknown; value?: unknown[]; nextLink?: unknown };
  if (Array.isArray(b.value)) return { ...b, value: b.value.map((v) => armBody(input, v)), nextLink: null };
  return typeof b.id === 'string' ? { ...b, id: armId(input, b.id) } : b;
}

async function delegate(route: RouteDef, input: RouteInput): Promise<RouteOutput> {
  const out = await (route.handler as (i: RouteInput) => Promise<RouteOutput>)(input);
  return { ...out, body: armBody(input, out.body) };
}

async function record(input: RouteInput): Promise<ComputeRecord | undefined> {
  try {
    return await input.services.computes.get(input.params.workspace ?? '', input.params.name ?? '');
  } catch (err) {
    if (err instanceof HangarError && err.code === 'NotFound') return undefined;
    throw err;
  }
}

function accepted(input: RouteInput, out: RouteOutput, kind: OperationKind, status: number): RouteOutput {
  const ref = { n: input.params.name ?? '', k: kind, t: input.services.ctx.clock.now().getTime() };
  return { status, body: out.body, headers: { ...out.headers, ...operationHeaders(input, ref) } };
}

const computeGet = native(computeRoutes, 'get', '/{name}');

/**
 * The SDK creates clusters with remoteLoginPortPublicAccess `NotSpecified` and re-sends it as
 * `Disabled` on every update (it maps anything but Enabled to false): the same setting, kept as stored.
 */
async function tolerateSshAccessEcho(input: RouteInput): Promise<void> {
  const inner = (input.body as { properties?: { properties?: Record<string, unknown> } } | undefined)
    ?.properties?.properties;
  const sent = inner?.remoteLoginPortPublicAccess;
  if (!inner || (sent !== 'Disabled' && sent !== 'NotSpecified')) return;
  const existing = await record(input);
  const stored = (existing?.spec.properties as { remoteLoginPortPublicAccess?: unknown } | undefined)
    ?.remoteLoginPortPublicAccess;
  if (stored === 'Disabled' || stored === 'NotSpecified') inner.remoteLoginPortPublicAccess = stored;
}

function powerRoute(verb: 'start' | 'stop' | 'restart'): RouteDef {
  const route = native(instanceRoutes, 'post', `/{name}/${verb}`);
  return {
    method: 'post',
    path: `${base}/{name}/${verb}`,
    action: route.action,
    tag,
    summary: `${verb} a compute instance (long-running: 202 + Azure-AsyncOperation)`,
    handler: async (input) => {
      await delegate(route, input);
      // The SDK accepts only 202 here, with no body.
      return accepted(input, { status: 202 }, verb, 202);
    },
  };
}

/** Computes in ARM's paths: the native handlers, ids rewritten, PUT/DELETE/power verbs long-running. */
export const armComputeRoutes: RouteDef[] = [
  {
    method: 'get',
    path: base,
    action: action('workspaces/computes/read'),
    tag,
    summary: 'List computes (ARM shape)',
    handler: (input) => delegate(native(computeRoutes, 'get', ''), input),
  },
  {
    method: 'get',
    path: `${base}/{name}`,
    action: action('workspaces/computes/read'),
    tag,
    summary: 'Get a compute (ARM shape)',
    handler: (input) => delegate(computeGet, input),
  },
  {
    method: 'put',
    path: `${base}/{name}`,
    action: action('workspaces/computes/write'),
    tag,
    summary: 'Create or update a compute (long-running: Azure-AsyncOperation, never finished at once)',
    body: z.object({}).passthrough(),
    bodyCheck: 'handler',
    handler: async (input) => {
      normalizeSdkComputeBody(input.body);
      await tolerateSshAccessEcho(input);
      const out = await delegate(native(computeRoutes, 'put', '/{name}'), input);
      // Never answered as finished: the SDK's poller would read this body twice and lose computeType.
      const body = out.body as { properties?: { provisioningState?: string } };
      if (
        body.properties &&
        ['Succeeded', 'Failed', 'Canceled'].includes(body.properties.provisioningState ?? '')
      )
        body.properties.provisioningState = out.status === 201 ? 'Creating' : 'Updating';
      return accepted(input, out, 'put', out.status === 201 ? 201 : 200);
    },
  },
  {
    method: 'patch',
    path: `${base}/{name}`,
    action: action('workspaces/computes/write'),
    tag,
    summary: 'Update a compute (JSON merge patch, ARM shape)',
    body: z.object({}).passthrough(),
    bodyCheck: 'handler',
    handler: (input) => delegate(native(computeRoutes, 'patch', '/{name}'), input),
  },
  {
    method: 'delete',
    path: `${base}/{name}`,
    action: action('workspaces/computes/delete'),
    tag,
    summary: 'Delete or detach a compute (long-running: 202 + Azure-AsyncOperation)',
    handler: async (input) => {
      await delegate(native(computeRoutes, 'delete', '/{name}'), input);
      return accepted(input, { status: 202 }, 'delete', 202);
    },
  },
  powerRoute('start'),
  powerRoute('stop'),
  powerRoute('restart'),
  {
    method: 'post',
    path: `${base}/{name}/listNodes`,
    action: action('workspaces/computes/listNodes/action'),
    tag,
    summary: 'List the nodes of a compute (ARM shape)',
    handler: async (input) => {
      const out = await delegate(native(computeRoutes, 'get', '/{name}/nodes'), input);
      const nodes = (out.body as { value: Record<string, unknown>[] }).value.map((n) => ({
        nodeId: n.nodeId,
        privateIpAddress: n.privateIpAddress,
        publicIpAddress: n.privateIpAddress,
        port: n.port,
        nodeState: n.nodeState,
        runId: n.runId,
      }));
      return { status: 200, body: { nodes, nextLink: null } };
    },
  },
  {
    method: 'post',
    path: `${base}/{name}/listKeys`,
    action: action('workspaces/computes/listKeys/action'),
    tag,
    summary: 'Read the secrets of a compute',
    handler: (input) => delegate(native(computeRoutes, 'post', '/{name}/listKeys'), input),
  },
  {
    method: 'get',
    path: `${WS}/computeOperations/{operation}`,
    action: action('workspaces/computes/read'),
    tag,
    summary: 'Status of a long-running compute operation (Azure-AsyncOperation target)',
    handler: async (input) => {
      const ref = readOperationId(input.params.operation ?? '');
      const rec = await record({ ...input, params: { ...input.params, name: ref.n } });
      const view = rec
        ? toComputeResource(rec, (await input.services.computes.workspace(rec.workspace)).location)
        : undefined;
      const state = (view?.properties.properties as { state?: string } | undefined)?.state;
      const status = operationStatus(
        ref.k,
        view
          ? {
              provisioningState: view.properties.provisioningState ?? '',
              ...(state !== undefined ? { state } : {}),
              restartPending: rec && isInstance(rec) ? rec.instance?.restartRequestedAt !== undefined : false,
            }
          : undefined,
      );
      const body: Record<string, unknown> = {
        id: input.params.operation,
        name: input.params.operation,
        status,
        startTime: new Date(ref.t).toISOString(),
      };
      if (status !== 'InProgress') body.endTime = input.services.ctx.clock.now().toISOString();
      if (status === 'Failed') {
        const first = view?.properties.provisioningErrors?.[0]?.error;
        body.error = {
          code: first?.code ?? 'OperationFailed',
          message:
            first?.message ?? `The ${ref.k} of compute '${ref.n}' failed${state ? ` (state ${state})` : ''}.`,
        };
      }
      const headers: Record<string, string> = status === 'InProgress' ? { 'Retry-After': '1' } : {};
      return { status: 200, body, headers };
    },
  },
];
