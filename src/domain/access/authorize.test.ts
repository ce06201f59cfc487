import { describe, expect, it } from 'vitest';
import { authorize, type Principal } from './authorize.js';
import {
  actionMatches,
  builtInRoles,
  roleAllows,
  scopeCovers,
  type RoleAssignment,
  type RoleDefinition,
} from './roles.js';

const roles = new Map<string, RoleDefinition>(
  [
    ...builtInRoles,
    {
      name: 'Instance operator',
      description: '',
      actions: [
        'Microsoft.MachineLearningServices/workspaces/computes/*/action',
        'Microsoft.MachineLearningServices/workspaces/computes/read',
      ],
      notActions: ['*/listKeys/action'],
      builtIn: false,
    },
  ].map((r) => [r.name.toLowerCase(), r]),
);
const ml = (s: string): string => `Microsoft.MachineLearningServices/workspaces/${s}`;
const alice: Principal = { kind: 'user', objectId: 'alice', name: 'alice' };
const assign = (roleName: string, scope: string, principalId = 'alice'): RoleAssignment => ({
  id: `${roleName}${scope}`,
  principalId,
  roleName,
  scope,
  createdAt: '',
  createdBy: '',
});

describe('action patterns', () => {
  it('match with wildcards, case-insensitively', () => {
    expect(actionMatches('*/read', ml('computes/read'))).toBe(true);
    expect(actionMatches('*/read', ml('computes/write'))).toBe(false);
    expect(
      actionMatches('microsoft.machinelearningservices/workspaces/computes/*', ml('computes/start/action')),
    ).toBe(true);
    expect(
      actionMatches('Microsoft.Authorization/*/write', 'Microsoft.Authorization/roleAssignments/write'),
    ).toBe(true);
  });
  it('roles subtract notActions', () => {
    const contributor = builtInRoles.find((r) => r.name === 'Contributor');
    expect(contributor && roleAllows(contributor, ml('computes/write'))).toBe(true);
    expect(contributor && roleAllows(contributor, 'Microsoft.Authorization/roleAssignments/write')).toBe(
      false,
    );
    expect(contributor && roleAllows(contributor, 'Microsoft.Authorization/roleAssignments/read')).toBe(true);
  });
});

describe('scopes', () => {
  it('cover themselves and what is below them', () => {
    expect(scopeCovers('/', '/workspaces/a/computes/b')).toBe(true);
    expect(scopeCovers('/workspaces/a', '/workspaces/a/computes/b')).toBe(true);
    expect(scopeCovers('/workspaces/a', '/workspaces/ab')).toBe(false);
    expect(scopeCovers('/workspaces/a/computes/b', '/workspaces/a')).toBe(false);
  });
});

describe('authorize', () => {
  it('allows what an assigned role allows at or above the scope', () => {
    expect(
      authorize(alice, ml('computes/read'), '/workspaces/w', [assign('Reader', '/workspaces/w')], roles),
    ).toMatchObject({ allowed: true, role: 'Reader' });
    expect(
      authorize(
        alice,
        ml('computes/start/action'),
        '/workspaces/w/computes/dev',
        [assign('Instance operator', '/workspaces/w/computes/dev')],
        roles,
      ).allowed,
    ).toBe(true);
  });
  it('denies naming the principal, the action, the scope and the roles held', () => {
    const d = authorize(
      alice,
      ml('computes/write'),
      '/workspaces/w',
      [assign('Reader', '/workspaces/w')],
      roles,
    );
    expect(d).toEqual({
      allowed: false,
      message: `user 'alice' may not perform ${ml('computes/write')} at /workspaces/w: its roles there (Reader at /workspaces/w) do not include it.`,
    });
    const none = authorize(
      alice,
      ml('computes/read'),
      '/workspaces/other',
      [assign('Owner', '/workspaces/w')],
      roles,
    );
    expect(none.allowed).toBe(false);
    expect(!none.allowed && none.message).toContain('it has no role there');
  });
  it('keeps a compute-scoped role on that compute', () => {
    const a = [assign('Instance operator', '/workspaces/w/computes/dev')];
    expect(
      authorize(alice, ml('computes/stop/action'), '/workspaces/w/computes/other', a, roles).allowed,
    ).toBe(false);
    expect(
      authorize(alice, ml('computes/listKeys/action'), '/workspaces/w/computes/dev', a, roles).allowed,
    ).toBe(false);
  });
  it("ignores other principals' assignments", () => {
    expect(
      authorize(alice, ml('computes/read'), '/workspaces/w', [assign('Owner', '/', 'bob')], roles).allowed,
    ).toBe(false);
  });
});
