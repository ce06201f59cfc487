import type { Context } from 'hono';
import type { z } from 'zod';
import type { Principal } from '../../domain/access/authorize.js';
import type { Services } from '../services/services.js';

/** Prefix of every action string, in Azure ML's vocabulary. */
export const actionPrefix = 'Microsoft.MachineLearningServices/';

/** What a handler gets: path params, query, parsed JSON body, services, and the base URL for links. */
export interface RouteInput {
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  services: Services;
  baseUrl: string;
  /** A request header (e.g. Authorization for agent routes). */
  header: (name: string) => string | undefined;
  /** Aborted when the client goes away (long polls stop waiting). */
  signal: AbortSignal;
  /** Who is calling (an anonymous principal on public routes). */
  caller: Principal;
}

/** What a handler returns: a status and a JSON body (or nothing for 204). */
export interface RouteOutput {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A parameter documented in OpenAPI. */
export interface QueryParam {
  name: string;
  description: string;
  required?: boolean;
}

/**
 * One API route. Every route declares the permission it needs as an action string, so access
 * control can be switched on in one place; schemas feed both validation and OpenAPI.
 */
export interface RouteDef {
  method: 'get' | 'put' | 'post' | 'patch' | 'delete';
  /** OpenAPI-style path, e.g. /api/workspaces/{workspace}/computes/{name}. */
  path: string;
  /** Permission action, e.g. Microsoft.MachineLearningServices/workspaces/computes/read. */
  action: string;
  /**
   * public: no credentials (health, login); self: any signed-in principal, about itself (its
   * tokens, who it is); root: a role at the server scope `/` (users, roles, audit). Default: the
   * workspace (and compute) in the path, or anywhere the caller holds the action. OpenAPI shows
   * the outcome as x-hangar-access (see routeAccess in openapi.ts).
   */
  auth?: 'public' | 'self' | 'root';
  summary: string;
  tag: string;
  query?: QueryParam[];
  body?: z.ZodType;
  response?: { status: number; schema?: z.ZodType; description: string };
  /** JSON handler; absent only when `raw` is given. */
  handler?: (input: RouteInput) => Promise<RouteOutput>;
  /**
   * For routes that move bytes or stream (blobs, log streams): gets the raw request and returns
   * the response itself; the body is not parsed as JSON. `handler` is then unused.
   */
  raw?: (c: Context, input: Omit<RouteInput, 'body'>) => Promise<Response>;
}

/** Builds an action string from its Azure ML suffix. */
export function action(suffix: string): string {
  return `${actionPrefix}${suffix}`;
}
