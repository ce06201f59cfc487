import { Hono, type Context } from 'hono';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { Services } from '../services/services.js';
import { identifyCaller } from './caller.js';
import { mountAppProxy } from './app-proxy.js';
import { instanceRoutes } from './routes/instance-routes.js';
import { buildOpenApi } from './openapi.js';
import type { RouteDef } from './route-def.js';
import { agentRoutes } from './routes/agent-routes.js';
import { computeRoutes } from './routes/compute-routes.js';
import { environmentRoutes } from './routes/environment-routes.js';
import { jobRoutes } from './routes/job-routes.js';
import { locationRoutes } from './routes/location-routes.js';
import { metaRoutes } from './routes/meta-routes.js';
import { mlflowRoutes } from './routes/mlflow-routes.js';
import { snapshotRoutes } from './routes/snapshot-routes.js';
import { workspaceRoutes } from './routes/workspace-routes.js';

/** Every API route; each declares its action string. */
export const allRoutes: RouteDef[] = [...metaRoutes, ...workspaceRoutes, ...computeRoutes, ...instanceRoutes, ...locationRoutes, ...environmentRoutes, ...jobRoutes, ...mlflowRoutes, ...snapshotRoutes, ...agentRoutes];

/** Logger used for unexpected errors (secrets never reach it: only codes and stacks). */
export type ErrorLog = (message: string, err: unknown) => void;

async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HangarError('InvalidJson', `The request body is not valid JSON: ${(err as Error).message}`, '(body)');
  }
}

function mount(app: Hono<{ Variables: { action: string } }>, route: RouteDef, services: Services): void {
  const honoPath = route.path.replace(/\{(\w+)\}/g, ':$1');
  app.on(route.method.toUpperCase(), honoPath, async (c) => {
    // The declared action is recorded for every request, so authorization can be enforced in one place.
    c.set('action', route.action);
    const url = new URL(c.req.url);
    const params = c.req.param() as Record<string, string>;
    const common = { params, query: c.req.query(), services, baseUrl: url.origin, header: (name: string) => c.req.header(name), signal: c.req.raw.signal, caller: identifyCaller() };
    if (route.raw) return route.raw(c, common);
    const body = route.method === 'get' || route.method === 'delete' ? undefined : await readJson(c);
    if (!route.handler) throw new Error(`route ${route.path} has neither handler nor raw`);
    const out = await route.handler({ ...common, body });
    if (out.body === undefined) return c.body(null, out.status as 204);
    return c.json(out.body as object, out.status as 200, out.headers);
  });
}

/** Builds the HTTP app over the services: routes, OpenAPI, one error shape. */
export function createApp(services: Services, version: string, logError: ErrorLog, extraRoutes: RouteDef[] = []): Hono<{ Variables: { action: string } }> {
  const app = new Hono<{ Variables: { action: string } }>();
  const routes = [...allRoutes, ...extraRoutes];
  const openapi = buildOpenApi(routes, version);
  app.get('/api/openapi.json', (c) => c.json(openapi));
  for (const route of routes) mount(app, route, services);
  mountAppProxy(app, services, identifyCaller);
  app.notFound((c) => c.json(new HangarError('RouteNotFound', `No route for ${c.req.method} ${new URL(c.req.url).pathname}; see /api/openapi.json.`).toBody(), 404));
  app.onError((err, c) => {
    if (err instanceof HangarError) return c.json(err.toBody(), err.status as 400);
    logError(`unexpected error on ${c.req.method} ${new URL(c.req.url).pathname}`, err);
    return c.json(new HangarError('InternalError', 'An unexpected error happened; the server log has the details.').toBody(), 500);
  });
  return app;
}
