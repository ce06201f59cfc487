import { environmentRoutes } from '../routes/environment-routes.js';
import type { RouteDef, RouteInput, RouteOutput } from '../route-def.js';
import { armId, WS } from './arm-paths.js';

const tag = 'Azure ML (ARM)';
const nativeBase = '/api/workspaces/{workspace}/environments';

/** Native ids (`/workspaces/ws/…`) inside an answer (one resource or a list) as ARM ids. */
function armIds(input: RouteInput, body: unknown): unknown {
  if (!body || typeof body !== 'object') return body;
  const b = body as { id?: unknown; value?: unknown[] };
  if (Array.isArray(b.value)) return { value: b.value.map((v) => armIds(input, v)), nextLink: null };
  return typeof b.id === 'string' ? { ...b, id: armId(input, b.id) } : b;
}

/** The ARM route running the native environment route with this method and path suffix. */
function delegated(method: RouteDef['method'], suffix: string, summary: string): RouteDef {
  const route = environmentRoutes.find((r) => r.method === method && r.path === `${nativeBase}${suffix}`);
  if (!route?.handler) throw new Error(`no native environment route ${method} ${suffix}`);
  const handler = route.handler;
  return {
    ...route,
    path: `${WS}/environments${suffix}`,
    tag,
    summary,
    // The native query schema drops what it does not know (api-version; `$orderBy=createdtime desc`,
    // which the SDK sends with `$top=1` for `@latest`: native lists are newest first already).
    handler: async (input: RouteInput): Promise<RouteOutput> => {
      const out = await handler(input);
      return { ...out, body: armIds(input, out.body) };
    },
  };
}

/** Environment containers and versions in ARM's paths, over the native environment service. */
export const armEnvironmentRoutes: RouteDef[] = [
  delegated('get', '', 'List environment containers (ARM shape)'),
  delegated(
    'get',
    '/{name}',
    'Get an environment container (404: no version yet, the SDK then creates version 1)',
  ),
  delegated('get', '/{name}/versions', 'List versions, newest first (`$top=1`: the latest)'),
  delegated('get', '/{name}/versions/{version}', 'Get an environment version (ARM shape)'),
  delegated('put', '/{name}/versions/{version}', 'Create an environment version (ARM shape)'),
];
