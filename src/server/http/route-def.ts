import type { Context } from 'hono';
import type { z } from 'zod';
import type { Principal } from '../../domain/access/authorize.js';
import type { Services } from '../services/services.js';

/** Prefix of every action string, in Azure ML's vocabulary. */
export const actionPrefix = 'Microsoft.MachineLearningServices/';

/**
 * What a handler gets: path params, query, parsed JSON body, services, and the base URL for links.
 * Params, query and body are what mount() validated against the route's schemas (raw strings and
 * the raw JSON where the route declares none).
 */
export interface RouteInput<B = unknown, Q = Record<string, string>, P = Record<string, string>> {
  params: P;
  query: Q;
  body: B;
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
  /**
   * Path parameters: a zod object over the path's {names}, validated by mount() (400
   * ValidationFailed naming each one); absent, handlers get the strings as matched.
   */
  params?: z.ZodType;
  /**
   * Query parameters: a list (documented; handlers get the strings as sent), or a zod object whose
   * keys are the parameters (`.describe()` documents each) that mount() validates and hands over parsed.
   */
  query?: QueryParam[] | z.ZodType;
  /**
   * The request body. mount() validates every non-GET request against it once (400
   * ValidationFailed naming each field, rule and value) and hands the handler the parsed value;
   * OpenAPI shows it as the requestBody.
   */
  body?: z.ZodType;
  /**
   * 'handler': `body` documents the request but the handler validates it itself, with the
   * domain's richer rules and messages (compute PUT/PATCH: validateComputeRequest, Azure's words).
   */
  bodyCheck?: 'handler';
  response?: { status: number; schema?: z.ZodType; description: string };
  /** JSON handler; absent only when `raw` is given. */
  handler?: (input: RouteInput) => Promise<RouteOutput>;
  /**
   * For routes that move bytes or stream (blobs, log streams): gets the raw request and returns
   * the response itself. The body is parsed (and validated) only when the route declares `body`.
   * `handler` is then unused.
   */
  raw?: (c: Context, input: RouteInput) => Promise<Response>;
}

/** What a schema parses to; `fallback` where a route declares none. */
type Parsed<S, Fallback> = S extends z.ZodType ? z.output<S> : Fallback;

/** What a typed route's handler gets: params, query and body as its schemas parse them. */
export type TypedRouteInput<B, Q, P> = RouteInput<
  Parsed<B, unknown>,
  Parsed<Q, Record<string, string>>,
  Parsed<P, Record<string, string>>
>;

/** A RouteDef whose handler is typed by the route's own schemas (see `route`). */
export interface TypedRouteDef<B, Q, P> extends Omit<
  RouteDef,
  'body' | 'query' | 'params' | 'handler' | 'raw'
> {
  body?: B;
  query?: Q;
  params?: P;
  handler?: (input: TypedRouteInput<B, Q, P>) => Promise<RouteOutput>;
  raw?: (c: Context, input: TypedRouteInput<B, Q, P>) => Promise<Response>;
}

/**
 * Declares a route whose handler gets params, query and body typed by the route's schemas, as
 * mount() parsed them: `route({ body: leaseRequestSchema, handler: (i) => … i.body.freeSlots … })`.
 */
export function route<
  B extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | QueryParam[] | undefined = undefined,
  P extends z.ZodType | undefined = undefined,
>(def: TypedRouteDef<B, Q, P>): RouteDef {
  return def as unknown as RouteDef;
}

/** Builds an action string from its Azure ML suffix. */
export function action(suffix: string): string {
  return `${actionPrefix}${suffix}`;
}
