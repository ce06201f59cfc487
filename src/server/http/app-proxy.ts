import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Context, Hono } from 'hono';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { Principal } from '../../domain/access/authorize.js';
import { applicationAccessDenial } from '../../domain/instances/instance-access.js';
import { nodeHost } from '../../domain/nodes/node-record.js';
import { identify } from './caller.js';
import { knownError, rawErrorResponse } from './transport-errors.js';
import { actionPrefix } from './route-def.js';
import { isUsable } from '../../domain/instances/instance-state.js';
import type { InstanceState } from '../../domain/instances/instance.js';
import type { Services } from '../services/services.js';

/** Where an instance's app gateway answers, and the token it wants. */
interface AppTarget {
  host: string;
  port: number;
  token: string;
}

/** Path of an instance application: /apps/{workspace}/{compute}/{app}/… */
const appPath = /^\/apps\/([^/]+)\/([^/]+)\/([^/?]+)/;

/**
 * Finds the gateway of a running instance for its owner: 404 for unknown computes, 403 for anyone
 * but the owner (seed rule), 409 while the instance is not running or the node has no gateway yet.
 */
export async function resolveAppTarget(
  services: Services,
  workspace: string,
  name: string,
  caller: Principal | undefined,
): Promise<AppTarget> {
  if (!caller)
    throw new HangarError(
      'Unauthenticated',
      'Opening an application needs credentials: sign in to the studio or send a bearer token.',
      'Authorization',
    );
  await services.access.check(caller, `${actionPrefix}workspaces/computes/applicationaccess/action`, {
    kind: 'scope',
    scope: `/workspaces/${workspace}/computes/${name}`,
  });
  const record = await services.instances.instance(workspace, name);
  const denial = applicationAccessDenial(record, caller);
  if (denial) throw new HangarError('AuthorizationFailed', denial, 'applicationaccess');
  const state = String(record.status.observed.state ?? 'Unknown') as InstanceState;
  if (!isUsable(state))
    throw new HangarError(
      'ApplicationUnavailable',
      `Compute instance '${name}' is ${state}; its applications open when it is Running (hangar compute start -n ${name}).`,
      'name',
    );
  const node = await services.instances.gatewayNode(record);
  if (!node?.instance?.gatewayPort)
    throw new HangarError(
      'ApplicationUnavailable',
      `Compute instance '${name}' has no application gateway yet; try again in a few seconds.`,
      'name',
    );
  return { host: nodeHost(node), port: node.instance.gatewayPort, token: node.instance.appToken };
}

/** A workspace or compute segment of an application path, decoded; a malformed escape is the caller's mistake (400). */
function segment(raw: string | undefined, what: string): string {
  try {
    return decodeURIComponent(raw ?? '');
  } catch {
    throw new HangarError(
      'MalformedRequest',
      `The ${what} in the application path is not valid percent-encoding: '${raw ?? ''}'.`,
      what,
    );
  }
}

/**
 * The gateway's own refusals are short plain-text answers (the app is not running, Jupyter failed
 * to start, the app is unreachable, the app token is refused); they become errors in the one
 * shape. Anything else (the application's own pages, errors included) passes through as is.
 */
async function gatewayRefusal(res: Response, name: string): Promise<HangarError | undefined> {
  const type = res.headers.get('content-type');
  if (![401, 502, 503].includes(res.status) || (type !== null && !type.startsWith('text/plain')))
    return undefined;
  const said = (await res.text()).slice(0, 2000).trim() || res.statusText;
  if (res.status === 503)
    return new HangarError(
      'ApplicationUnavailable',
      `An application of compute instance '${name}' is not available: ${said}.`,
      'name',
    );
  if (res.status === 401)
    return new HangarError(
      'BadGateway',
      `The application gateway of compute instance '${name}' refused the server's app token (${said}); if the instance just restarted, try again in a few seconds.`,
      'name',
    );
  return new HangarError(
    'BadGateway',
    `The application gateway of compute instance '${name}' could not reach the application: ${said}.`,
    'name',
  );
}

/** Serves /apps/… over HTTP: checks access, then streams the request to the node's gateway. */
export function mountAppProxy(app: Hono<{ Variables: { action: string } }>, services: Services): void {
  app.all('/apps/*', async (c: Context) => {
    const url = new URL(c.req.url);
    const m = appPath.exec(url.pathname);
    if (!m)
      throw new HangarError(
        'RouteNotFound',
        `Application paths look like /apps/{workspace}/{compute}/{app}/; got ${url.pathname}.`,
      );
    const [workspace, name] = [segment(m[1], 'workspace'), segment(m[2], 'compute')];
    const caller = await identify(services, c.req.header('authorization'), c.req.header('cookie'));
    const target = await resolveAppTarget(services, workspace, name, caller);
    const headers = new Headers(c.req.raw.headers);
    headers.set('x-hangar-app-token', target.token);
    headers.delete('authorization');
    headers.delete('cookie');
    const body = c.req.method === 'GET' || c.req.method === 'HEAD' ? undefined : c.req.raw.body;
    const init: RequestInit & { duplex?: 'half' } = {
      method: c.req.method,
      headers,
      redirect: 'manual',
      ...(body ? { body, duplex: 'half' } : {}),
    };
    let res: Response;
    try {
      res = await fetch(`http://${target.host}:${target.port}${url.pathname}${url.search}`, init);
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new HangarError(
        'BadGateway',
        `The application gateway of compute instance '${name}' at ${target.host}:${target.port} did not answer (${cause?.code ?? cause?.message ?? (err as Error).message}); try again in a few seconds.`,
        'name',
      );
    }
    const refusal = await gatewayRefusal(res, name);
    if (refusal) throw refusal;
    const out = new Headers(res.headers);
    // fetch has already decoded the body: the length and encoding no longer describe it.
    out.delete('content-encoding');
    out.delete('content-length');
    return new Response(res.body, { status: res.status, headers: out });
  });
}

/** WebSocket upgrades under /apps/… (Jupyter kernels, the terminal): checked, then tunnelled. */
export function appUpgradeHandler(
  services: Services,
): (req: IncomingMessage, socket: Socket, head: Buffer) => void {
  return (req, socket, head) => {
    const m = appPath.exec(req.url ?? '');
    if (!m)
      return void socket.end(
        rawErrorResponse(
          new HangarError(
            'RouteNotFound',
            `Application paths look like /apps/{workspace}/{compute}/{app}/; got ${req.url ?? ''}.`,
          ),
        ),
      );
    identify(services, req.headers.authorization, req.headers.cookie)
      .then((caller) =>
        resolveAppTarget(services, segment(m[1], 'workspace'), segment(m[2], 'compute'), caller),
      )
      .then(
        (target) => {
          const name = segment(m[2], 'compute');
          let connected = false;
          const upstream = connect(target.port, target.host, () => {
            connected = true;
            const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1`];
            for (let i = 0; i < req.rawHeaders.length; i += 2) {
              const header = req.rawHeaders[i] ?? '';
              if (!/^(x-hangar-app-token|authorization|cookie)$/i.test(header))
                lines.push(`${header}: ${req.rawHeaders[i + 1] ?? ''}`);
            }
            lines.push(`x-hangar-app-token: ${target.token}`);
            upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
            if (head.length) upstream.write(head);
            socket.pipe(upstream);
            // The gateway's own plain-text refusal (app not running) is answered in the one error shape.
            upstream.once('data', (first: Buffer) => {
              const text = first.toString('utf8');
              const refused =
                /^HTTP\/1\.[01] 503 /.exec(text) &&
                !/\r\ncontent-type:/i.test(text.split('\r\n\r\n')[0] ?? '');
              if (refused) {
                const said = text.slice(text.indexOf('\r\n\r\n') + 4).trim();
                upstream.destroy();
                return void socket.end(
                  rawErrorResponse(
                    new HangarError(
                      'ApplicationUnavailable',
                      `An application of compute instance '${name}' is not available: ${said}.`,
                      'name',
                    ),
                  ),
                );
              }
              socket.write(first);
              upstream.pipe(socket);
            });
          });
          const close = (): void => {
            socket.destroy();
            upstream.destroy();
          };
          upstream.on('error', (err: Error & { code?: string }) => {
            if (connected || !socket.writable) return close();
            socket.end(
              rawErrorResponse(
                new HangarError(
                  'BadGateway',
                  `The application gateway of compute instance '${name}' at ${target.host}:${target.port} did not answer (${err.code ?? err.message}); try again in a few seconds.`,
                  'name',
                ),
              ),
            );
          });
          socket.on('error', close);
        },
        (err: unknown) => {
          const e =
            knownError(err) ??
            new HangarError('InternalError', 'An unexpected error happened; the server log has the details.');
          socket.end(rawErrorResponse(e));
        },
      );
  };
}
