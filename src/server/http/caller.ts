import type { Principal } from '../../domain/access/authorize.js';
import type { RouteScope } from '../access/access-service.js';
import type { Services } from '../services/services.js';
import type { RouteDef } from './route-def.js';

/** Name of the studio's session cookie (HttpOnly, SameSite=Strict). */
export const SESSION_COOKIE = 'hangar_session';

/** The bearer token of a request: `Authorization: Bearer …`, else the session cookie. */
export function bearerOf(authorization: string | undefined, cookie: string | undefined): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (bearer) return bearer;
  for (const part of (cookie ?? '').split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === SESSION_COOKIE && v) return decodeURIComponent(v);
  }
  return undefined;
}

/**
 * Who calls, from the request's credentials; with `--insecure-local` an anonymous call acts as
 * the bootstrap admin. Undefined: the call is refused with 401.
 */
export async function identify(services: Services, authorization: string | undefined, cookie: string | undefined): Promise<Principal | undefined> {
  const principal = await services.access.authenticate(bearerOf(authorization, cookie));
  return principal ?? services.insecureLocalPrincipal;
}

/** How a route is protected: public, by the agent protocol, or by a role at a scope. */
export function routeScope(route: RouteDef, params: Record<string, string>): RouteScope | 'public' | 'node' | 'self' {
  if (route.auth === 'public') return 'public';
  if (route.auth === 'self') return 'self';
  if (route.action.startsWith('Hangar/nodes/')) return 'node';
  if (route.auth === 'root') return { kind: 'root' };
  const ws = params.workspace;
  if (ws === undefined) return { kind: 'anywhere' };
  const compute = route.path.includes('/computes/{name}') && params.name ? `/computes/${params.name}` : '';
  return { kind: 'scope', scope: `/workspaces/${ws}${compute}` };
}
