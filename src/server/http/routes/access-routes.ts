import { z } from 'zod';
import type { Principal } from '../../../domain/access/authorize.js';
import { HangarError } from '../../../domain/errors/hangar-error.js';
import { listBody, pageRequest } from '../paging.js';
import { clientAddress, SESSION_COOKIE, sessionCookieOf } from '../caller.js';
import { parseJsonText } from '../parse-body.js';
import type { RouteDef, RouteInput } from '../route-def.js';

const tag = 'Access control';
const authz = (s: string): string => `Microsoft.Authorization/${s}`;
const field = (body: unknown, key: string): unknown => (typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[key] : undefined);
const str = (body: unknown, key: string, required = true): string | undefined => {
  const v = field(body, key);
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || v === '') throw new HangarError('ValidationFailed', `${key} must be a non-empty string; got ${JSON.stringify(v)}.`, key);
  return v;
};
const strings = (body: unknown, key: string): string[] => {
  const v = field(body, key) ?? [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new HangarError('ValidationFailed', `${key} must be a list of action strings; got ${JSON.stringify(v)}.`, key);
  return v as string[];
};
const userOf = (input: RouteInput): Principal => {
  if (input.caller.kind !== 'user') throw new HangarError('AuthorizationFailed', `Only users have tokens; the caller is a ${input.caller.kind}.`, 'caller');
  return input.caller;
};

/** Sign-in, users, API tokens, roles, role assignments and the audit log. */
export const accessRoutes: RouteDef[] = [
  {
    method: 'post', path: '/api/auth/login', action: 'Hangar/auth/login/action', auth: 'public', tag, summary: 'Sign in with a password: sets the studio session cookie (HttpOnly, SameSite=Strict) and answers the user',
    body: z.object({ user: z.string(), password: z.string() }),
    // Raw for the client address: failed sign-ins are slowed per user and per address (429 + Retry-After).
    raw: async (c, input) => {
      const body = parseJsonText(await c.req.text());
      const s = await input.services.access.login(str(body, 'user') ?? '', str(body, 'password') ?? '', clientAddress(c));
      const cookie = `${SESSION_COOKIE}=${encodeURIComponent(s.token)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${12 * 3600}`;
      return c.json({ user: { id: s.user.id, name: s.user.name }, expiresAt: s.expiresAt }, 200, { 'set-cookie': cookie });
    },
  },
  {
    method: 'post', path: '/api/auth/logout', action: 'Hangar/auth/logout/action', auth: 'self', tag, summary: 'End the studio session (the cookie is cleared and the session revoked)',
    handler: async (input) => {
      const token = sessionCookieOf(input.header('cookie'));
      if (token) {
        const { tokenHash } = await import('../../access/credentials.js');
        const record = await input.services.ctx.store.access.tokenByHash(tokenHash(token));
        if (record) await input.services.ctx.store.access.revokeToken(record.id, input.services.ctx.clock.now().toISOString());
      }
      return { status: 204, headers: { 'set-cookie': `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0` } };
    },
  },
  {
    method: 'get', path: '/api/auth/me', action: 'Hangar/auth/me/read', auth: 'self', tag, summary: 'Who the caller is, and its role assignments',
    handler: async (input) => ({ status: 200, body: { principal: input.caller, roleAssignments: await input.services.ctx.store.access.assignments({ principalId: input.caller.objectId }) } }),
  },
  {
    method: 'post', path: '/api/auth/tokens', action: 'Hangar/auth/tokens/write', auth: 'self', tag, summary: 'Create an API token for the caller (the value is shown once; only its hash is kept)',
    body: z.object({ name: z.string(), expiresInDays: z.number().optional() }),
    handler: async (input) => {
      const me = await input.services.access.user(userOf(input).objectId);
      const days = field(input.body, 'expiresInDays') ?? 90;
      const { token, record } = await input.services.access.createToken(me, str(input.body, 'name') ?? '', Number(days));
      return { status: 201, body: { id: record.id, name: record.name, expiresAt: record.expiresAt, token } };
    },
  },
  {
    method: 'get', path: '/api/auth/tokens', action: 'Hangar/auth/tokens/read', auth: 'self', tag, summary: "The caller's tokens (never their values)",
    handler: async (input) => {
      const tokens = await input.services.ctx.store.access.tokens(userOf(input).objectId);
      return { status: 200, body: { value: tokens.map((t) => ({ id: t.id, kind: t.kind, name: t.name, createdAt: t.createdAt, expiresAt: t.expiresAt, revokedAt: t.revokedAt ?? null })) } };
    },
  },
  {
    method: 'delete', path: '/api/auth/tokens/{id}', action: 'Hangar/auth/tokens/delete', auth: 'self', tag, summary: 'Revoke a token (your own; any token for an Owner at /)',
    handler: async (input) => {
      await input.services.access.revokeToken(input.caller, input.params.id ?? '');
      return { status: 204 };
    },
  },
  {
    method: 'get', path: '/api/users', action: 'Hangar/users/read', auth: 'root', tag, summary: 'Users',
    handler: async (input) => ({ status: 200, body: { value: (await input.services.ctx.store.access.users()).map((u) => ({ id: u.id, name: u.name, createdAt: u.createdAt, hasPassword: u.passwordHash !== undefined })) } }),
  },
  {
    method: 'post', path: '/api/users', action: 'Hangar/users/write', auth: 'root', tag, summary: 'Create a user (optionally with a password for the studio and `hangar login`)',
    body: z.object({ name: z.string(), password: z.string().optional() }),
    handler: async (input) => {
      const u = await input.services.access.createUser(str(input.body, 'name') ?? '', str(input.body, 'password', false));
      return { status: 201, body: { id: u.id, name: u.name, createdAt: u.createdAt } };
    },
  },
  {
    method: 'post', path: '/api/users/{id}/tokens', action: 'Hangar/users/tokens/write', auth: 'root', tag, summary: 'Create an API token for a user (admin; the value is shown once)',
    body: z.object({ name: z.string(), expiresInDays: z.number().optional() }),
    handler: async (input) => {
      const all = await input.services.ctx.store.access.users();
      const user = all.find((u) => u.id === input.params.id || u.name.toLowerCase() === (input.params.id ?? '').toLowerCase());
      if (!user) throw new HangarError('NotFound', `User '${input.params.id ?? ''}' does not exist.`, 'id');
      const { token, record } = await input.services.access.createToken(user, str(input.body, 'name') ?? '', Number(field(input.body, 'expiresInDays') ?? 90));
      return { status: 201, body: { id: record.id, userId: user.id, name: record.name, expiresAt: record.expiresAt, token } };
    },
  },
  {
    method: 'get', path: '/api/roleDefinitions', action: authz('roleDefinitions/read'), tag, summary: 'Built-in and custom roles',
    handler: async (input) => ({ status: 200, body: { value: [...(await input.services.access.roleMap()).values()] } }),
  },
  {
    method: 'put', path: '/api/roleDefinitions/{name}', action: authz('roleDefinitions/write'), auth: 'root', tag, summary: 'Create or replace a custom role (actions and notActions with * wildcards)',
    body: z.object({ description: z.string().optional(), actions: z.array(z.string()), notActions: z.array(z.string()).optional() }),
    handler: async (input) => {
      const desc = str(input.body, 'description', false);
      const role = await input.services.access.putRole({ name: input.params.name ?? '', actions: strings(input.body, 'actions'), notActions: strings(input.body, 'notActions'), ...(desc ? { description: desc } : {}) });
      return { status: 200, body: role };
    },
  },
  {
    method: 'delete', path: '/api/roleDefinitions/{name}', action: authz('roleDefinitions/delete'), auth: 'root', tag, summary: 'Delete a custom role (not while assigned)',
    handler: async (input) => {
      await input.services.access.deleteRole(input.params.name ?? '');
      return { status: 204 };
    },
  },
  {
    method: 'get', path: '/api/roleAssignments', action: authz('roleAssignments/read'), tag, summary: "Role assignments the caller may see (its own; those at, below or inherited above its readable scopes), optionally at or below a scope",
    query: [{ name: 'scope', description: '/workspaces/{ws} or /workspaces/{ws}/computes/{name}' }],
    handler: async (input) => ({ status: 200, body: { value: await input.services.access.visibleAssignments(input.caller, input.query.scope) } }),
  },
  {
    method: 'post', path: '/api/roleAssignments', action: authz('roleAssignments/write'), tag, summary: 'Assign a role to a user or identity at a scope (the caller needs roleAssignments/write there)',
    body: z.object({ principalId: z.string(), roleName: z.string(), scope: z.string() }),
    handler: async (input) => ({ status: 201, body: await input.services.access.createAssignment(input.caller, { principalId: str(input.body, 'principalId') ?? '', roleName: str(input.body, 'roleName') ?? '', scope: str(input.body, 'scope') ?? '' }) }),
  },
  {
    method: 'delete', path: '/api/roleAssignments/{id}', action: authz('roleAssignments/delete'), tag, summary: 'Remove a role assignment',
    handler: async (input) => {
      const a = (await input.services.ctx.store.access.assignments({})).find((x) => x.id === input.params.id);
      if (!a) throw new HangarError('NotFound', `Role assignment '${input.params.id ?? ''}' does not exist.`, 'id');
      await input.services.access.check(input.caller, authz('roleAssignments/delete'), a.scope === '/' ? { kind: 'root' } : { kind: 'scope', scope: a.scope });
      await input.services.ctx.store.access.deleteAssignment(a.id);
      return { status: 204 };
    },
  },
  {
    method: 'get', path: '/api/audit', action: 'Hangar/audit/read', auth: 'root', tag, summary: 'The audit log of mutating calls: who, what, when, outcome (oldest first)',
    query: [{ name: '$top', description: 'Page size' }, { name: '$skipToken', description: 'Continuation token' }],
    handler: async (input) => {
      const page = await input.services.ctx.store.audit.list(pageRequest(input.query));
      return { status: 200, body: listBody(page, (e) => e, input.baseUrl, '/api/audit', input.query) };
    },
  },
];
