import { describe, expect, it } from 'vitest';
import type { Principal } from './authorize.js';
import { builtInRoles, type RoleAssignment } from './roles.js';
import { assignmentVisible, listableWorkspaces } from './visibility.js';

const roles = new Map(builtInRoles.map((r) => [r.name.toLowerCase(), r]));
const rita: Principal = { kind: 'user', objectId: 'rita', name: 'rita' };
const assign = (principalId: string, roleName: string, scope: string): RoleAssignment => ({
  id: `${principalId}:${roleName}:${scope}`,
  principalId,
  roleName,
  scope,
  createdAt: '',
  createdBy: '',
});
const wsRead = 'Microsoft.MachineLearningServices/workspaces/read';
const raRead = 'Microsoft.Authorization/roleAssignments/read';

describe('the workspaces a list shows', () => {
  it('are all of them for a role at /', () => {
    expect(listableWorkspaces(rita, wsRead, [assign('rita', 'Reader', '/')], roles)).toBe('all');
  });
  it('are the workspaces the caller has a readable role on, not those of a single compute or of others', () => {
    const mine = [
      assign('rita', 'Reader', '/workspaces/A'),
      assign('rita', 'Owner', '/workspaces/B/computes/box'),
      assign('olga', 'Owner', '/workspaces/C'),
    ];
    expect(listableWorkspaces(rita, wsRead, mine, roles)).toEqual(['a']);
  });
  it('are none when no role allows reading', () => {
    const custom = new Map([
      ...roles,
      ['ops', { name: 'Ops', description: '', actions: ['*/start/action'], notActions: [], builtIn: false }],
    ]);
    expect(listableWorkspaces(rita, wsRead, [assign('rita', 'Ops', '/workspaces/A')], custom)).toEqual([]);
  });
});

describe('the role assignments a list shows', () => {
  const mine = [assign('rita', 'Reader', '/workspaces/A')];
  const visible = (a: RoleAssignment): boolean => assignmentVisible(rita, a, raRead, mine, roles);
  it("include the caller's own and those at or below a scope it may read", () => {
    expect(visible(assign('rita', 'Reader', '/workspaces/A'))).toBe(true);
    expect(visible(assign('carl', 'Contributor', '/workspaces/A'))).toBe(true);
    expect(visible(assign('nina', 'Reader', '/workspaces/A/computes/box'))).toBe(true);
  });
  it('include those inherited from above (as Azure shows them), not those on other workspaces', () => {
    expect(visible(assign('admin', 'Owner', '/'))).toBe(true);
    expect(visible(assign('bob', 'Owner', '/workspaces/B'))).toBe(false);
    expect(visible(assign('bob', 'Owner', '/workspaces/AB'))).toBe(false);
  });
  it('are everything for a reader at /', () => {
    expect(
      assignmentVisible(
        rita,
        assign('bob', 'Owner', '/workspaces/B'),
        raRead,
        [assign('rita', 'Reader', '/')],
        roles,
      ),
    ).toBe(true);
  });
});
