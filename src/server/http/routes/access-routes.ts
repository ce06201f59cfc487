import { z } from 'zod';
import type { Principal } from '../../../domain/access/authorize.js';
import { HangarError } from '../../../domain/errors/hangar-error.js';
import { listBody, pageRequest } from '../paging.js';
import { clientAddress, SESSION_COOKIE, sessionCookieOf } from '../caller.js';
import { route, type RouteDef, type RouteInput } from '../route-def.js';

const tag = 'Access control';
const authz = (s: string): string => `Microsoft.Authorization/${s}`;
/** A field that must be given and not empty. */
const text = () => z.string().min(1);
const tokenRequest = z.object({ name: text(), expiresInDays: z.number().optional() });
const userOf = (input: Pick<RouteInput, 'caller'>): Principal => {
  if (input.caller.kind !== 'user')
    throw new HangarError(
      'AuthorizationFailed',
      `Only users have tokens; the caller is a ${input.caller.kind}.`,
      'caller',
    );
  return input.caller;
};

/** Sign-in, users, API tokens, roles, role assignments and the audit log. */
export const accessRoutes: RouteDef[] = [
  route({
    method: 'post',
    path: '/api/auth/login',
    action: 'Hangar/auth/login/action',
    auth: 'public',
    tag,
    summary:
      'Sign in with a password: sets the studio session cookie (HttpOnly, SameSite=Strict) and answers the user',
    body: z.object({ user: text(), password: text() }),
    // Raw for the client address: failed sign-ins are slowed per user and per address (429 + Retry-After).
    raw: async (c, input) => {
      const s = await input.services.access.login(input.body.user, input.body.password, clientAddress(c));
      const cookie = `${SESSION_COOKIE}=${encodeURIComponent(s.token)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${12 * 3600}`;
      return c.json({ user: { id: s.user.id, name: s.user.name }, expiresAt: s.expiresAt }, 200, {
        'set-cookie': cookie,
      });
    },
  }),
  {
    method: 'post',
    path: '/api/auth/logout',
    action: 'Hangar/auth/logout/action',
    auth: 'self',
    tag,
    summary: 'End the studio session (the cookie is cleared and the session revoked)',
    handler: async (input) => {
      const token = sessionCookieOf(input.header('cookie'));
      if (token) await input.services.access.endSession(token);
      return {
        status: 204,
        headers: { 'set-cookie': `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0` },
      };
    },
  },
  {
    method: 'get',
    path: '/api/auth/me',
    action: 'Hangar/auth/me/read',
    auth: 'self',
    tag,
    summary: 'Who the caller is, and its role assignments',
    handler: async (input) => ({
      status: 200,
      body: {
        principal: input.caller,
        roleAssignments: await input.services.access.assignmentsOf(input.caller.objectId),
      },
    }),
  },
  route({
    method: 'post',
    path: '/api/auth/tokens',
    action: 'Hangar/auth/tokens/write',
    auth: 'self',
    tag,
    summary: 'Create an API token for the caller (the value is shown once; only its hash is kept)',
    body: tokenRequest,
    handler: async (input) => {
      const me = await input.services.access.user(userOf(input).objectId);
      const { token, record } = await input.services.access.createToken(
        me,
        input.body.name,
        input.body.expiresInDays ?? 90,
      );
      return { status: 201, body: { id: record.id, name: record.name, expiresAt: record.expiresAt, token } };
    },
  }),
  {
    method: 'get',
    path: '/api/auth/tokens',
    action: 'Hangar/auth/tokens/read',
    auth: 'self',
    tag,
    summary: "The caller's tokens (never their values)",
    handler: async (input) => {
      const tokens = await input.services.access.tokensOf(userOf(input).objectId);
      return {
        status: 200,
        body: {
          value: tokens.map((t) => ({
            id: t.id,
            kind: t.kind,
            name: t.name,
            createdAt: t.createdAt,
            expiresAt: t.expiresAt,
            revokedAt: t.revokedAt ?? null,
          })),
        },
      };
    },
  },
  {
    method: 'delete',
    path: '/api/auth/tokens/{id}',
    action: 'Hangar/auth/tokens/delete',
    auth: 'self',
    tag,
    summary: 'Revoke a token (your own; any token for an Owner at /)',
    handler: async (input) => {
      await input.services.access.revokeToken(input.caller, input.params.id ?? '');
      return { status: 204 };
    },
  },
  {
    method: 'get',
    path: '/api/users',
    action: 'Hangar/users/read',
    auth: 'root',
    tag,
    summary: 'Users',
    handler: async (input) => ({
      status: 200,
      body: {
        value: (await input.services.access.users()).map((u) => ({
          id: u.id,
          name: u.name,
          createdAt: u.createdAt,
          hasPassword: u.passwordHash !== undefined,
        })),
      },
    }),
  },
  route({
    method: 'post',
    path: '/api/users',
    action: 'Hangar/users/write',
    auth: 'root',
    tag,
    summary: 'Create a user (optionally with a password for the studio and `hangar login`)',
    body: z.object({ name: text(), password: text().optional() }),
    handler: async (input) => {
      const u = await input.services.access.createUser(input.body.name, input.body.password);
      return { status: 201, body: { id: u.id, name: u.name, createdAt: u.createdAt } };
    },
  }),
  route({
    method: 'post',
    path: '/api/users/{id}/tokens',
    action: 'Hangar/users/tokens/write',
    auth: 'root',
    tag,
    summary: 'Create an API token for a user (admin; the value is shown once)',
    body: tokenRequest,
    handler: async (input) => {
      const user = await input.services.access.findUser(input.params.id ?? '');
      const { token, record } = await input.services.access.createToken(
        user,
        input.body.name,
        input.body.expiresInDays ?? 90,
      );
      return {
        status: 201,
        body: { id: record.id, userId: user.id, name: record.name, expiresAt: record.expiresAt, token },
      };
    },
  }),
  {
    method: 'get',
    path: '/api/roleDefinitions',
    action: authz('roleDefinitions/read'),
    tag,
    summary: 'Built-in and custom roles',
    handler: async (input) => ({
      status: 200,
      body: { value: [...(await input.services.access.roleMap()).values()] },
    }),
  },
  route({
    method: 'put',
    path: '/api/roleDefinitions/{name}',
    action: authz('roleDefinitions/write'),
    auth: 'root',
    tag,
    summary: 'Create or replace a custom role (actions and notActions with * wildcards)',
    body: z.object({
      description: text().optional(),
      actions: z.array(z.string()),
      notActions: z.array(z.string()).optional(),
    }),
    handler: async (input) => {
      const { description, actions, notActions = [] } = input.body;
      const role = await input.services.access.putRole({
        name: input.params.name ?? '',
        actions,
        notActions,
        ...(description ? { description } : {}),
      });
      return { status: 200, body: role };
    },
  }),
  {
    method: 'delete',
    path: '/api/roleDefinitions/{name}',
    action: authz('roleDefinitions/delete'),
    auth: 'root',
    tag,
    summary: 'Delete a custom role (not while assigned)',
    handler: async (input) => {
      await input.services.access.deleteRole(input.params.name ?? '');
      return { status: 204 };
    },
  },
  {
    method: 'get',
    path: '/api/roleAssignments',
    action: authz('roleAssignments/read'),
    tag,
    summary:
      'Role assignments the caller may see (its own; those at, below or inherited above its readable scopes), optionally at or below a scope',
    query: [{ name: 'scope', description: '/workspaces/{ws} or /workspaces/{ws}/computes/{name}' }],
    handler: async (input) => ({
      status: 200,
      body: { value: await input.services.access.visibleAssignments(input.caller, input.query.scope) },
    }),
  },
  route({
    method: 'post',
    path: '/api/roleAssignments',
    action: authz('roleAssignments/write'),
    tag,
    summary: 'Assign a role to a user or identity at a scope (the caller needs roleAssignments/write there)',
    body: z.object({ principalId: text(), roleName: text(), scope: text() }),
    handler: async (input) => ({
      status: 201,
      body: await input.services.access.createAssignment(input.caller, input.body),
    }),
  }),
  {
    method: 'delete',
    path: '/api/roleAssignments/{id}',
    action: authz('roleAssignments/delete'),
    tag,
    summary: 'Remove a role assignment',
    handler: async (input) => {
      await input.services.access.deleteAssignment(input.caller, input.params.id ?? '');
      return { status: 204 };
    },
  },
  {
    method: 'get',
    path: '/api/audit',
    action: 'Hangar/audit/read',
    auth: 'root',
    tag,
    summary: 'The audit log of mutating calls: who, what, when, outcome (oldest first)',
    query: [
      { name: '$top', description: 'Page size' },
      { name: '$skipToken', description: 'Continuation token' },
    ],
    handler: async (input) => {
      const page = await input.services.access.auditLog(pageRequest(input.query));
      return { status: 200, body: listBody(page, (e) => e, input.baseUrl, '/api/audit', input.query) };
    },
  },
];
