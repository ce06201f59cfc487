import type { Principal } from '../domain/access/authorize.js';
import type { RoleAssignment, RoleDefinition } from '../domain/access/roles.js';
import type { HttpClient } from './http-client.js';

/** A role: actions minus notActions, with `*` wildcards (the server's own type). */
export type Role = RoleDefinition;

/** A role held by a principal at a scope (the server's own type). */
export type RoleAssignmentView = RoleAssignment;

/** Users, tokens, roles, role assignments and the audit log. */
export class Access {
  constructor(private readonly http: HttpClient) {}

  me(): Promise<{ principal: Principal; roleAssignments: RoleAssignmentView[] }> {
    return this.http.request('GET', '/api/auth/me');
  }

  async roles(): Promise<Role[]> {
    return (await this.http.request<{ value: Role[] }>('GET', '/api/roleDefinitions')).value;
  }

  putRole(
    name: string,
    def: { description?: string; actions: string[]; notActions?: string[] },
  ): Promise<Role> {
    return this.http.request('PUT', `/api/roleDefinitions/${encodeURIComponent(name)}`, def);
  }

  async assignments(scope?: string): Promise<RoleAssignmentView[]> {
    return (
      await this.http.request<{ value: RoleAssignmentView[] }>(
        'GET',
        `/api/roleAssignments${scope ? `?scope=${encodeURIComponent(scope)}` : ''}`,
      )
    ).value;
  }

  assign(principalId: string, roleName: string, scope: string): Promise<RoleAssignmentView> {
    return this.http.request('POST', '/api/roleAssignments', { principalId, roleName, scope });
  }

  unassign(id: string): Promise<void> {
    return this.http.request('DELETE', `/api/roleAssignments/${encodeURIComponent(id)}`);
  }

  createUser(name: string, password?: string): Promise<{ id: string; name: string }> {
    return this.http.request('POST', '/api/users', { name, ...(password ? { password } : {}) });
  }

  async users(): Promise<{ id: string; name: string; createdAt: string }[]> {
    return (
      await this.http.request<{ value: { id: string; name: string; createdAt: string }[] }>(
        'GET',
        '/api/users',
      )
    ).value;
  }

  /** A token for the caller (or, with `user`, for that user: admin). The value is in this answer only. */
  createToken(
    name: string,
    expiresInDays: number,
    user?: string,
  ): Promise<{ id: string; name: string; expiresAt: string; token: string }> {
    return this.http.request(
      'POST',
      user ? `/api/users/${encodeURIComponent(user)}/tokens` : '/api/auth/tokens',
      { name, expiresInDays },
    );
  }

  async tokens(): Promise<
    { id: string; kind: string; name: string; expiresAt: string; revokedAt: string | null }[]
  > {
    return (
      await this.http.request<{
        value: { id: string; kind: string; name: string; expiresAt: string; revokedAt: string | null }[];
      }>('GET', '/api/auth/tokens')
    ).value;
  }

  revokeToken(id: string): Promise<void> {
    return this.http.request('DELETE', `/api/auth/tokens/${encodeURIComponent(id)}`);
  }

  audit(max = 500): Promise<unknown[]> {
    return this.http.listAll('/api/audit?$top=200', max);
  }
}
