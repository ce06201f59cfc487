import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { Services } from '../services/services.js';
import type { Principal } from '../../domain/access/authorize.js';
import { identify, routeScope } from './caller.js';
import { mountAppProxy } from './app-proxy.js';
import { mountStudio } from './studio-static.js';
import { parseBody, parseInput, parseJsonText } from './parse-body.js';
import { knownError } from './transport-errors.js';
import { instanceRoutes } from './routes/instance-routes.js';
import { buildOpenApi } from './openapi.js';
import type { RouteDef } from './route-def.js';
import { accessRoutes } from './routes/access-routes.js';
import { identityRoutes } from './routes/identity-routes.js';
import { agentRoutes } from './routes/agent-routes.js';
import { assetRoutes } from './routes/asset-routes.js';
import { computeRoutes } from './routes/compute-routes.js';
import { environmentRoutes } from './routes/environment-routes.js';
import { jobRoutes } from './routes/job-routes.js';
import { endpointRoutes } from './routes/endpoint-routes.js';
import { mountScoringRouter } from './scoring-router.js';
import { locationRoutes } from './routes/location-routes.js';
import { metaRoutes } from './routes/meta-routes.js';
import { mlflowRoutes } from './routes/mlflow-routes.js';
import { snapshotRoutes } from './routes/snapshot-routes.js';
import { adminGcRoutes } from './routes/admin-gc-routes.js';
import { lineageRoutes } from './routes/lineage-routes.js';
import { workspaceRoutes } from './routes/workspace-routes.js';
import { armRoutes } from './arm/arm-routes.js';
import { mountBlobService } from './arm/blob-routes.js';
import { systemMetricsRoutes } from './routes/system-metrics-routes.js';
import { prometheusRoutes } from './routes/prometheus-routes.js';
import { apiLatency } from '../metrics/api-latency.js';
import { admitted, type AdmissionGate } from './admission.js';
import { JsonText } from './json-text.js';

/** Every API route; each declares its action string. */
export const allRoutes: RouteDef[] = [
  ...metaRoutes,
  ...workspaceRoutes,
  ...computeRoutes,
  ...instanceRoutes,
  ...locationRoutes,
  ...environmentRoutes,
  ...assetRoutes,
  ...jobRoutes,
  ...endpointRoutes,
  ...mlflowRoutes,
  ...snapshotRoutes,
  ...adminGcRoutes,
  ...lineageRoutes,
  ...agentRoutes,
  ...accessRoutes,
  ...identityRoutes,
  ...armRoutes,
  ...systemMetricsRoutes,
  ...prometheusRoutes,
];

/** Logger used for unexpected errors (secrets never reach it: only codes and stacks). */
export type ErrorLog = (message: string, err: unknown) => void;

const anonymous: Principal = { kind: 'user', objectId: 'anonymous', name: 'anonymous' };

/**
 * Where a run token goes: its run's MLflow routes, and a GET of its own job (native or ARM: the
 * Azure ML SDK's `jobs.get(AZUREML_RUN_ID)` in a job on a compute without a managed identity).
 */
function runTokenMayCall(route: RouteDef, params: Record<string, string>, principal: Principal): boolean {
  if (route.path.includes('/mlflow/')) return true;
  const asked = `${params.workspace ?? ''}/${params.name ?? ''}`;
  return (
    route.method === 'get' &&
    route.path.endsWith('/jobs/{name}') &&
    (asked === principal.name || asked === principal.run)
  );
}

async function authorizeRequest(
  c: Context,
  route: RouteDef,
  params: Record<string, string>,
  services: Services,
): Promise<Principal> {
  const where = routeScope(route, params);
  if (where === 'public' || where === 'node') return anonymous;
  const principal = await identify(services, c.req.header('authorization'), c.req.header('cookie'));
  if (!principal)
    throw new HangarError(
      'Unauthenticated',
      'This call needs credentials: a bearer token (HANGAR_TOKEN, `hangar login`) or a studio session.',
      'Authorization',
    );
  if (where === 'self') return principal;
  if (principal.kind === 'job' && !runTokenMayCall(route, params, principal)) {
    throw new HangarError(
      'AuthorizationFailed',
      `job '${principal.name}' may not perform ${route.action}: a run token only logs to its own run through the MLflow routes and reads its own job (use a managed identity for more).`,
      route.action,
    );
  }
  await services.access.check(principal, route.action, where);
  return principal;
}

/** Audits a mutating call: who, what, when, outcome (agent protocol calls are the machine's own and not audited). */
async function audit(
  services: Services,
  route: RouteDef,
  c: Context,
  principal: Principal | undefined,
  status: number,
): Promise<void> {
  if (route.method === 'get' || route.action.startsWith('Hangar/nodes/')) return;
  const outcome = status === 401 || status === 403 ? 'Denied' : status < 400 ? 'Succeeded' : 'Failed';
  await services.access.recordAudit({
    principal: principal?.name ?? 'anonymous',
    principalKind: principal?.kind ?? 'none',
    action: route.action,
    method: route.method.toUpperCase(),
    path: new URL(c.req.url).pathname,
    status,
    outcome,
  });
}

/** A query schema a route declares (a plain list only documents its parameters). */
function querySchema(route: RouteDef): z.ZodType | undefined {
  return route.query instanceof z.ZodType ? route.query : undefined;
}

/** Whether mount() reads the body as JSON and validates it against the route's `body` schema. */
function validatesBody(route: RouteDef): boolean {
  return (
    route.method !== 'get' &&
    route.method !== 'delete' &&
    route.body !== undefined &&
    route.bodyCheck !== 'handler'
  );
}

function mount(
  app: Hono<{ Variables: { action: string } }>,
  route: RouteDef,
  services: Services,
  gate: AdmissionGate | undefined,
): void {
  const honoPath = route.path.replace(/\{(\w+)\}/g, ':$1');
  // Writes take a turn at the gate once authorised and their body read (waiting for the client's
  // bytes holds no turn); the turn covers the handler and its audit record.
  const turn = gate && admitted(route) ? gate : undefined;
  app.on(route.method.toUpperCase(), honoPath, async (c) => {
    // The declared action is checked for every request here, in one place.
    c.set('action', route.action);
    const url = new URL(c.req.url);
    const rawParams = c.req.param() as Record<string, string>;
    let caller: Principal | undefined;
    try {
      caller = await authorizeRequest(c, route, rawParams, services);
      // Validated once, here, against the route's own schemas: handlers get parsed, typed values.
      // (What a schema parsed is typed for its handler by route(); the route table holds them erased.)
      const params = route.params
        ? (parseInput(route.params, rawParams) as Record<string, string>)
        : rawParams;
      const rawQuery = c.req.query();
      const queries = querySchema(route);
      const query = queries ? (parseInput(queries, rawQuery) as Record<string, string>) : rawQuery;
      const common = {
        params,
        query,
        services,
        baseUrl: url.origin,
        header: (name: string) => c.req.header(name),
        // Made on first use: the adapter builds an AbortController and a close listener per call
        // that asks, and only a lease waits long enough to need one.
        get signal(): AbortSignal {
          return c.req.raw.signal;
        },
        caller,
      };
      // Raw routes read the bytes themselves, unless they declare a JSON body.
      const rawText =
        (route.raw && !route.body) || route.method === 'get' || route.method === 'delete'
          ? undefined
          : await c.req.text();
      const principal = caller;
      // Parsed and validated with the rest of the write's work, in its turn at the gate when it
      // has one, rather than as the request is read.
      const bodyOf = (): unknown => {
        const rawBody = rawText === undefined ? undefined : parseJsonText(rawText);
        if (principal.kind === 'job') checkRunScope(principal, rawBody, rawQuery);
        return route.body && validatesBody(route) ? parseBody(route.body, rawBody) : rawBody;
      };
      if (route.raw) {
        const res = await route.raw(c, withBody(common, bodyOf()));
        await audit(services, route, c, caller, res.status);
        return res;
      }
      const handler = route.handler;
      if (!handler) throw new Error(`route ${route.path} has neither handler nor raw`);
      const run = async (): Promise<Awaited<ReturnType<typeof handler>>> => {
        const answer = await handler(withBody(common, bodyOf()));
        await audit(services, route, c, principal, answer.status);
        return answer;
      };
      const out = turn ? await turn.run(run) : await run();
      if (out.body === undefined) return c.body(null, out.status as 204, out.headers);
      if (out.body instanceof JsonText)
        return c.body(out.body.bytes ?? out.body.text, out.status as 200, {
          ...out.headers,
          'content-type': 'application/json',
        });
      return c.json(out.body as object, out.status as 200, out.headers);
    } catch (err) {
      await audit(
        services,
        route,
        c,
        caller ??
          (await identify(services, c.req.header('authorization'), c.req.header('cookie')).catch(
            () => undefined,
          )),
        knownError(err)?.status ?? 500,
      );
      throw err;
    }
  });
}

/** The route's input with its body; not a spread, which would make the lazy `signal` at once. */
function withBody<C extends object>(common: C, body: unknown): C & { body: unknown } {
  return Object.assign(common, { body });
}

/** A run token writes only to its own run (MLflow's run_id, in the body or the query). */
function checkRunScope(caller: Principal, body: unknown, query: Record<string, string>): void {
  const run =
    (typeof body === 'object' && body !== null ? (body as Record<string, unknown>).run_id : undefined) ??
    query.run_id;
  const own = caller.run?.split('/')[1];
  if (run !== undefined && run !== own)
    throw new HangarError(
      'AuthorizationFailed',
      `job '${caller.name}' may log only to its own run '${own ?? ''}'; got run_id '${String(run)}'.`,
      'run_id',
    );
}

/** Builds the HTTP app over the services: routes, OpenAPI, one error shape. */
export function createApp(
  services: Services,
  version: string,
  logError: ErrorLog,
  extraRoutes: RouteDef[] = [],
  gate?: AdmissionGate,
): Hono<{ Variables: { action: string } }> {
  const app = new Hono<{ Variables: { action: string } }>();
  // Timed before anything else runs, so the figure is the whole request's.
  app.use('*', apiLatency(services.telemetry));
  const routes = [...allRoutes, ...extraRoutes];
  const openapi = buildOpenApi(routes, version);
  app.get('/api/openapi.json', (c) => c.json(openapi));
  for (const route of routes) mount(app, route, services, gate);
  mountAppProxy(app, services);
  mountScoringRouter(app, services);
  mountBlobService(app, services);
  mountStudio(app);
  app.notFound((c) =>
    c.json(
      new HangarError(
        'RouteNotFound',
        `No route for ${c.req.method} ${new URL(c.req.url).pathname}; see /api/openapi.json.`,
      ).toBody(),
      404,
    ),
  );
  app.onError((err, c) => {
    // A full disk, a malformed escape a library decoded: the caller's or the host's problem, said as such.
    const known = knownError(err);
    if (known) {
      if (known.retryAfterSeconds !== undefined) c.header('Retry-After', String(known.retryAfterSeconds));
      return c.json(known.toBody(), known.status as 400);
    }
    logError(`unexpected error on ${c.req.method} ${new URL(c.req.url).pathname}`, err);
    return c.json(
      new HangarError(
        'InternalError',
        'An unexpected error happened; the server log has the details.',
      ).toBody(),
      500,
    );
  });
  return app;
}
