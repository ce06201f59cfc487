import { z } from 'zod';
import { errorCatalogue } from '../../domain/errors/error-catalogue.js';
import { routeScope, SESSION_COOKIE } from './caller.js';
import type { RouteDef } from './route-def.js';

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): unknown {
  return z.toJSONSchema(schema, { io, unrepresentable: 'any' });
}

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(errorCatalogue) },
        message: { type: 'string' },
        target: { type: 'string' },
        details: { type: 'array', items: { type: 'object' } },
      },
    },
  },
};

/** Who may call a route, as x-hangar-access says it. */
export type RouteAccess = 'public' | 'self' | 'node' | 'root' | 'scope' | 'anywhere';

/**
 * How a route is protected, read from `routeScope` (what the server checks every request with),
 * so the document cannot say otherwise: public (no credential), self (any signed-in caller, about
 * itself), node (agent tokens), root (a role at `/`), scope (a role at the workspace or compute in
 * the path, given in x-hangar-scope) or anywhere (a role holding the action at some scope).
 */
export function routeAccess(route: RouteDef): { access: RouteAccess; scope?: string } {
  const placeholders = Object.fromEntries(
    [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => [m[1] ?? '', `{${m[1] ?? ''}}`]),
  );
  const where = routeScope(route, placeholders);
  if (typeof where === 'string') return { access: where };
  return where.kind === 'scope' ? { access: 'scope', scope: where.scope } : { access: where.kind };
}

/** The operation's x-hangar-access (and x-hangar-scope) with the matching OpenAPI `security`. */
function accessFields(route: RouteDef): Record<string, unknown> {
  const { access, scope } = routeAccess(route);
  const security =
    access === 'public' ? [] : access === 'node' ? [{ nodeToken: [] }] : [{ bearer: [] }, { session: [] }];
  return { 'x-hangar-access': access, ...(scope ? { 'x-hangar-scope': scope } : {}), security };
}

/** The fields of an object schema as JSON Schemas (as a request sends them), and which are required. */
function objectFields(schema: z.ZodType): {
  fields: Record<string, Record<string, unknown>>;
  required: string[];
} {
  const json = jsonSchema(schema, 'input') as {
    properties?: Record<string, Record<string, unknown>>;
    required?: string[];
  };
  return { fields: json.properties ?? {}, required: json.required ?? [] };
}

/** Query parameters from a route's query schema: one per key, its `.describe()` as the description. */
function queryParameters(schema: z.ZodType): Record<string, unknown>[] {
  const { fields, required } = objectFields(schema);
  return Object.entries(fields).map(([name, field]) => {
    const { description, ...rest } = field;
    return {
      name,
      in: 'query',
      required: required.includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

/** Builds the OpenAPI 3.1 document from the route table (the same schemas that validate). */
export function buildOpenApi(routes: readonly RouteDef[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const pathSchemas = r.params ? objectFields(r.params) : undefined;
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: pathSchemas?.fields[m[1] ?? ''] ?? { type: 'string' },
    }));
    const query =
      r.query instanceof z.ZodType
        ? queryParameters(r.query)
        : (r.query ?? []).map((q) => ({
            name: q.name,
            in: 'query',
            required: q.required ?? false,
            description: q.description,
            schema: { type: 'string' },
          }));
    const responses: Record<string, unknown> = {
      [String(r.response?.status ?? 200)]: {
        description: r.response?.description ?? 'OK',
        ...(r.response?.schema
          ? { content: { 'application/json': { schema: jsonSchema(r.response.schema, 'output') } } }
          : {}),
      },
      default: {
        description: 'Error',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    };
    (paths[r.path] ??= {})[r.method] = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method}${r.path
        .replace(/[{}]/g, '')
        .replace(/\/(\w)/g, (_, c: string) => c.toUpperCase())
        .replace(/\W/g, '')}`,
      'x-hangar-action': r.action,
      ...accessFields(r),
      parameters: [...params, ...query],
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(r.body, 'input') } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Hangar API',
      version,
      description:
        'Self-hosted compute plane for ML training and deployment. Every operation lists the permission action it needs in x-hangar-action, and who may call it in x-hangar-access: public (no credential; security is empty), self (any signed-in caller, about itself), node (agent tokens), root (a role at the server scope /), scope (a role at the workspace or compute in x-hangar-scope) or anywhere (a role holding the action at some scope; lists then show only what the caller has a role on, and snapshots and blobs only those of jobs it may read).',
    },
    paths,
    security: [{ bearer: [] }, { session: [] }],
    components: {
      schemas: { Error: errorSchema },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API token (hgr_…), a studio session token, or a managed-identity token.',
        },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: SESSION_COOKIE,
          description: 'The studio session cookie set by POST /api/auth/login.',
        },
        nodeToken: {
          type: 'http',
          scheme: 'bearer',
          description:
            "A node's session token (the agent routes; registration sends its one-time token in the body).",
        },
      },
    },
  };
}
