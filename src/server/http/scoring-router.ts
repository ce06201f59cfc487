import { randomUUID } from 'node:crypto';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import type { Context, Hono } from 'hono';
import { timeoutCode } from '../../domain/endpoints/request-admission.js';
import { expectedColdStartMs, scalesToZero } from '../../domain/endpoints/scale-to-zero.js';
import { chooseDeployment } from '../../domain/endpoints/traffic.js';
import type { DeploymentRecord } from '../../domain/endpoints/endpoint-record.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { Services } from '../services/services.js';

/** Answers an error in the one shape, with extra headers (Azure's model-error headers, Retry-After). */
function errorResponse(err: HangarError, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(err.toBody()), {
    status: err.status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** x-ms-client-request-id as Azure keeps it: alphanumerics, '-' and '_', at most 40 characters. */
function clientRequestId(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const clean = raw.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 40);
  return clean === '' ? undefined : clean;
}

/**
 * The data plane: `/endpoints/{name}/score` (and `/swagger.json`) route by the endpoint's traffic
 * to a ready replica of the chosen deployment's serving generation, as azureml-fe does. Keys and
 * tokens are the endpoint's own, not Hangar users' tokens.
 */
export function mountScoringRouter(app: Hono<{ Variables: { action: string } }>, services: Services): void {
  const handle = async (c: Context, path: '/score' | '/swagger.json'): Promise<Response> => {
    const name = c.req.param('name') ?? '';
    const requestId = randomUUID();
    const base: Record<string, string> = { 'x-request-id': requestId };
    const cid = clientRequestId(c.req.header('x-ms-client-request-id'));
    if (cid) base['x-ms-client-request-id'] = cid;
    const endpoints = services.endpoints;
    // The routing table is cached in memory (EndpointService.route): no store read per request.
    const route = await endpoints.route(name);
    const ep = route?.endpoint;
    if (!route || !ep)
      return errorResponse(
        new HangarError('NotFound', `Online endpoint '${name}' does not exist.`, 'name'),
        base,
      );
    try {
      await endpoints.authenticate(ep, c.req.header('authorization'), route.keys);
    } catch (err) {
      if (err instanceof HangarError) return errorResponse(err, base);
      throw err;
    }
    const deployments = route.deployments;
    const choice = chooseDeployment({
      traffic: ep.spec.traffic ?? {},
      mirror: ep.spec.mirror_traffic ?? {},
      pinned: c.req.header('azureml-model-deployment'),
      deployments: deployments.map((d) => d.name),
      draw: Math.random(),
      mirrorDraw: Math.random(),
    });
    if (choice.kind === 'none')
      return errorResponse(
        new HangarError('NotFound', `Online endpoint '${ep.name}': ${choice.reason}.`, 'traffic'),
        base,
      );
    const d = deployments.find((x) => x.name === choice.deployment);
    if (!d) return errorResponse(new HangarError('NotFound', `No deployment '${choice.deployment}'.`), base);
    const url = new URL(c.req.url);
    const body = c.req.method === 'GET' || c.req.method === 'HEAD' ? undefined : await c.req.arrayBuffer();
    const headers: Record<string, string> = {};
    for (const h of ['content-type', 'x-ms-client-request-id', 'accept']) {
      const v = c.req.header(h);
      if (v) headers[h] = v;
    }
    headers['x-request-id'] = requestId;
    if (choice.mirror) {
      const m = deployments.find((x) => x.name === choice.mirror);
      // The mirror's answer is dropped; a mirror that is busy or failing never affects the caller.
      if (m) void forward(services, m, path, url.search, c.req.method, headers, body).catch(() => undefined);
    }
    const answer = await forward(
      services,
      d,
      path,
      url.search,
      c.req.method,
      headers,
      body,
      c.req.raw.signal,
    );
    return answer instanceof HangarError
      ? errorResponse(answer, {
          ...base,
          'azureml-model-deployment': d.name,
          ...(answer.modelStatus !== undefined
            ? {
                'ms-azureml-model-error-statuscode': String(answer.modelStatus),
                'ms-azureml-model-error-reason': answer.modelReason ?? '',
              }
            : {}),
          ...(answer.retryAfterSeconds !== undefined
            ? { 'retry-after': String(answer.retryAfterSeconds) }
            : {}),
        })
      : new Response(answer.body, {
          status: answer.status,
          headers: { ...answer.headers, ...base, 'azureml-model-deployment': d.name },
        });
  };
  app.all('/endpoints/:name/score', (c) => handle(c, '/score'));
  app.get('/endpoints/:name/swagger.json', (c) => handle(c, '/swagger.json'));
}

/** Keep-alive connections to replicas, with Nagle off (headers and body are separate writes). */
const replicaAgent = new Agent({ keepAlive: true, maxSockets: 256, noDelay: true });

/** One request to a replica (on this host, or on a node of its compute); a TimeoutError after `timeoutMs`. */
function replicaRequest(
  host: string,
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: ArrayBuffer | undefined,
  timeoutMs: number,
): Promise<{ status: number; statusText: string; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const payload = body ? Buffer.from(body) : undefined;
    const req = request(
      {
        host,
        port,
        method,
        path,
        agent: replicaAgent,
        headers: { ...headers, ...(payload ? { 'content-length': String(payload.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 502,
            statusText: res.statusMessage ?? '',
            headers: res.headers,
            body: Buffer.concat(chunks),
          });
        });
        res.on('error', reject);
      },
    );
    const timer = setTimeout(() => {
      const e = new Error(`no answer within ${timeoutMs} ms`);
      e.name = 'TimeoutError';
      req.destroy(e);
    }, timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(payload);
  });
}

/** A HangarError carrying the scoring host's own status for the 424 headers. */
class ScoringError extends HangarError {
  modelStatus?: number;
  modelReason?: string;
}

/**
 * Sends one request to a ready replica of `d` under its request_settings: a free slot (at most
 * max_concurrent_requests_per_instance per replica) within max_queue_wait_ms, else 429; then
 * request_timeout_ms from dispatch, else 408 (504 on Kubernetes deployments).
 */
async function forward(
  services: Services,
  d: DeploymentRecord,
  path: string,
  search: string,
  method: string,
  headers: Record<string, string>,
  body: ArrayBuffer | undefined,
  signal?: AbortSignal,
): Promise<ScoringError | { status: number; headers: Record<string, string>; body: Buffer }> {
  const pool = services.endpoints.pool;
  const serving = d.serving;
  if (!pool || !serving)
    return new ScoringError(
      'DeploymentNotReady',
      `Deployment '${d.name}' has no ready replica yet (${d.status.provisioningState}${d.status.reason ? `: ${d.status.reason}` : ''}).`,
      'azureml-model-deployment',
    );
  const settings = serving.spec.request_settings;
  // Scaled to zero (opt-in): no ready replica is the normal idle state; the request starts one and waits.
  const fromZero = scalesToZero(serving.spec.scale_settings);
  if (fromZero && d.status.failedGeneration === serving.number)
    return new ScoringError(
      'DeploymentNotReady',
      `Deployment '${d.name}' is scaled to zero and its replicas cannot start: ${d.status.reason ?? 'Failed'}.`,
    );
  if (!fromZero && pool.readyCount(d.id, serving.number) === 0)
    return new ScoringError('DeploymentNotReady', `Deployment '${d.name}' has no ready replica right now.`);
  // Past max_concurrent_requests_per_instance per replica a request waits up to max_queue_wait_ms.
  const got = await pool.acquire(
    d.id,
    {
      generation: serving.number,
      maxConcurrentPerInstance: settings.max_concurrent_requests_per_instance,
      maxQueueWaitMs: settings.max_queue_wait_ms,
      ...(fromZero
        ? {
            scaleFromZero: true,
            expectedColdStartMs: expectedColdStartMs({
              readinessInitialDelayS: serving.spec.readiness_probe.initial_delay,
            }),
          }
        : {}),
    },
    signal,
  );
  if (got.kind === 'reject' && got.unavailable)
    return new ScoringError('DeploymentNotReady', `Deployment '${d.name}': ${got.reason}.`);
  if (got.kind === 'reject') {
    const e = new ScoringError(
      'TooManyPendingRequests',
      `Too many pending requests for deployment '${d.name}': ${got.reason}; retry in ${got.retryAfterSeconds ?? 1} s.`,
      got.target ?? 'request_settings.max_concurrent_requests_per_instance',
    );
    e.retryAfterSeconds = got.retryAfterSeconds ?? 1;
    return e;
  }
  const replica = got.replica;
  const port = replica.proc.port();
  if (port === undefined) {
    pool.release(d.id, replica);
    return new ScoringError('DeploymentNotReady', `Deployment '${d.name}' has no ready replica right now.`);
  }
  const started = performance.now();
  let failed = true;
  try {
    const res = await replicaRequest(
      replica.proc.host(),
      port,
      method,
      `${path}${search}`,
      headers,
      body,
      settings.request_timeout_ms,
    );
    if (res.status !== 200 && path === '/score') {
      const e = new ScoringError(
        'ModelError',
        `The scoring host of deployment '${d.name}' answered ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`,
        'run()',
      );
      e.modelStatus = res.status;
      e.modelReason = res.statusText;
      return e;
    }
    failed = false;
    const out: Record<string, string> = {};
    for (const h of ['content-type', 'x-ms-run-fn-exec-ms', 'x-ms-client-request-id']) {
      const v = res.headers[h];
      if (typeof v === 'string') out[h] = v;
    }
    return { status: res.status, headers: out, body: res.body };
  } catch (err) {
    const e = err as Error;
    if (e.name === 'TimeoutError')
      return new ScoringError(
        timeoutCode(serving.spec.type),
        `Deployment '${d.name}' did not answer within request_settings.request_timeout_ms (${settings.request_timeout_ms} ms).`,
        'request_settings.request_timeout_ms',
      );
    const e424 = new ScoringError(
      'ModelError',
      `The scoring host of deployment '${d.name}' failed: ${(e.cause as Error | undefined)?.message ?? e.message}`,
      'run()',
    );
    e424.modelStatus = 502;
    e424.modelReason = 'scoring host unreachable';
    return e424;
  } finally {
    pool.release(d.id, replica);
    pool.record(d.id, performance.now() - started, failed);
  }
}
