import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Context, Hono } from 'hono';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { Principal } from '../../domain/access/authorize.js';
import { applicationAccessDenial } from '../../domain/instances/instance-access.js';
import { identify } from './caller.js';
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
export async function resolveAppTarget(services: Services, workspace: string, name: string, caller: Principal | undefined): Promise<AppTarget> {
  if (!caller) throw new HangarError('Unauthenticated', 'Opening an application needs credentials: sign in to the studio or send a bearer token.', 'Authorization');
  await services.access.check(caller, `${actionPrefix}workspaces/computes/applicationaccess/action`, { kind: 'scope', scope: `/workspaces/${workspace}/computes/${name}` });
  const record = await services.instances.instance(workspace, name);
  const denial = applicationAccessDenial(record, caller);
  if (denial) throw new HangarError('AuthorizationFailed', denial, 'applicationaccess');
  const state = String(record.status.observed.state ?? 'Unknown') as InstanceState;
  if (!isUsable(state)) throw new HangarError('ApplicationUnavailable', `Compute instance '${name}' is ${state}; its applications open when it is Running (hangar compute start -n ${name}).`, 'name');
  const node = (await services.ctx.store.nodes.all({ computeId: record.id })).find((n) => n.state !== 'leaving' && n.instance?.gatewayPort);
  if (!node?.instance?.gatewayPort) throw new HangarError('ApplicationUnavailable', `Compute instance '${name}' has no application gateway yet; try again in a few seconds.`, 'name');
  // Local nodes are processes on this host; their gateway listens on loopback.
  const host = node.provider === 'local' ? '127.0.0.1' : (node.address ?? '127.0.0.1');
  return { host, port: node.instance.gatewayPort, token: node.instance.appToken };
}

/** Serves /apps/… over HTTP: checks access, then streams the request to the node's gateway. */
export function mountAppProxy(app: Hono<{ Variables: { action: string } }>, services: Services): void {
  app.all('/apps/*', async (c: Context) => {
    const url = new URL(c.req.url);
    const m = appPath.exec(url.pathname);
    if (!m) throw new HangarError('RouteNotFound', `Application paths look like /apps/{workspace}/{compute}/{app}/; got ${url.pathname}.`);
    const caller = await identify(services, c.req.header('authorization'), c.req.header('cookie'));
    const target = await resolveAppTarget(services, decodeURIComponent(m[1] ?? ''), decodeURIComponent(m[2] ?? ''), caller);
    const headers = new Headers(c.req.raw.headers);
    headers.set('x-hangar-app-token', target.token);
    headers.delete('authorization');
    headers.delete('cookie');
    const body = c.req.method === 'GET' || c.req.method === 'HEAD' ? undefined : c.req.raw.body;
    const init: RequestInit & { duplex?: 'half' } = { method: c.req.method, headers, redirect: 'manual', ...(body ? { body, duplex: 'half' } : {}) };
    const res = await fetch(`http://${target.host}:${target.port}${url.pathname}${url.search}`, init);
    const out = new Headers(res.headers);
    // fetch has already decoded the body: the length and encoding no longer describe it.
    out.delete('content-encoding');
    out.delete('content-length');
    return new Response(res.body, { status: res.status, headers: out });
  });
}

/** WebSocket upgrades under /apps/… (Jupyter kernels, the terminal): checked, then tunnelled. */
export function appUpgradeHandler(services: Services): (req: IncomingMessage, socket: Socket, head: Buffer) => void {
  return (req, socket, head) => {
    const m = appPath.exec(req.url ?? '');
    if (!m) return void socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
    identify(services, req.headers.authorization, req.headers.cookie)
      .then((caller) => resolveAppTarget(services, decodeURIComponent(m[1] ?? ''), decodeURIComponent(m[2] ?? ''), caller))
      .then(
      (target) => {
        const upstream = connect(target.port, target.host, () => {
          const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1`];
          for (let i = 0; i < req.rawHeaders.length; i += 2) {
            const name = req.rawHeaders[i] ?? '';
            if (!/^(x-hangar-app-token|authorization|cookie)$/i.test(name)) lines.push(`${name}: ${req.rawHeaders[i + 1] ?? ''}`);
          }
          lines.push(`x-hangar-app-token: ${target.token}`);
          upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
          if (head.length) upstream.write(head);
          socket.pipe(upstream).pipe(socket);
        });
        const close = (): void => {
          socket.destroy();
          upstream.destroy();
        };
        upstream.on('error', close);
        socket.on('error', close);
      },
      (err: unknown) => {
        const e = err instanceof HangarError ? err : new HangarError('InternalError', 'unexpected error');
        const body = JSON.stringify(e.toBody());
        socket.end(`HTTP/1.1 ${e.status} Error\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      },
    );
  };
}
