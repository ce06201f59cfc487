import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import type { Principal } from '../../domain/access/authorize.js';
import type { RouteScope } from '../access/access-service.js';
import type { Services } from '../services/services.js';
import type { RouteDef } from './route-def.js';

/** Name of the studio's session cookie (HttpOnly, SameSite=Strict). */
export const SESSION_COOKIE = 'hangar_session';

/**
 * The session token in a Cookie header, or undefined. A value that is not valid percent-encoding
 * is kept as sent: it matches no session, so the call is answered 401 like any unknown token.
 */
export function sessionCookieOf(cookie: string | undefined): string | undefined {
  for (const part of (cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    if (!value) continue;
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}

/** The address the request came from (the TCP peer; proxies' forwarding headers are not trusted). */
export function clientAddress(c: Context): string {
  const env = c.env as { incoming?: IncomingMessage } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'unknown';
}

/** The bearer token of a request: `Authorization: Bearer …`, else the session cookie. */
export function bearerOf(authorization: string | undefined, cookie: string | undefined): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  return bearer ?? sessionCookieOf(cookie);
}

/**
 * Who calls, from the request's credentials; with `--insecure-local` an anonymous call acts as
 * the bootstrap admin. Undefined: the call is refused with 401.
 */
export async function identify(
  services: Services,
  authorization: string | undefined,
  cookie: string | undefined,
): Promise<Principal | undefined> {
  const principal = await services.access.authenticate(bearerOf(authorization, cookie));
  return principal ?? services.insecureLocalPrincipal;
}

/** How a route is protected: public, by the agent protocol, or by a role at a scope. */
export function routeScope(
  route: RouteDef,
  params: Record<string, string>,
): RouteScope | 'public' | 'node' | 'self' {
  if (route.auth === 'public') return 'public';
  if (route.auth === 'self') return 'self';
  if (route.action.startsWith('Hangar/nodes/')) return 'node';
  if (route.auth === 'root') return { kind: 'root' };
  const ws = params.workspace;
  if (ws === undefined) return { kind: 'anywhere' };
  const compute = route.path.includes('/computes/{name}') && params.name ? `/computes/${params.name}` : '';
  return { kind: 'scope', scope: `/workspaces/${ws}${compute}` };
}
