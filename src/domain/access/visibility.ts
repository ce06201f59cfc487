import { authorize, type Principal } from './authorize.js';
import { roleAllows, scopeCovers, type RoleAssignment, type RoleDefinition } from './roles.js';

/** The assignments of one principal whose role allows the action. */
function granting(
  principal: Principal,
  action: string,
  mine: readonly RoleAssignment[],
  roles: ReadonlyMap<string, RoleDefinition>,
): RoleAssignment[] {
  return mine.filter((a) => {
    const role = roles.get(a.roleName.toLowerCase());
    return a.principalId === principal.objectId && role !== undefined && roleAllows(role, action);
  });
}

/**
 * The workspaces a global list shows: those the caller could read one by one (`action` at
 * `/workspaces/{name}`, as the GET of each is checked). 'all' for a role at `/`; otherwise the
 * lower-cased names of the workspaces its roles are assigned at. A role on one compute does not
 * make the workspace readable, so it does not list it either.
 */
export function listableWorkspaces(
  principal: Principal,
  action: string,
  mine: readonly RoleAssignment[],
  roles: ReadonlyMap<string, RoleDefinition>,
): 'all' | string[] {
  const grants = granting(principal, action, mine, roles);
  if (grants.some((a) => a.scope === '/')) return 'all';
  const names = grants
    .map((a) => /^\/workspaces\/([^/]+)$/.exec(a.scope)?.[1]?.toLowerCase())
    .filter((n): n is string => n !== undefined);
  return [...new Set(names)].filter(
    (n) => authorize(principal, action, `/workspaces/${n}`, mine, roles).allowed,
  );
}

/**
 * Whether the caller sees a role assignment in a list, as Azure's access blade shows them: its own;
 * those at or below a scope where it may read assignments; and those above such a scope (they are
 * inherited there). Assignments on other workspaces stay hidden.
 */
export function assignmentVisible(
  principal: Principal,
  assignment: RoleAssignment,
  action: string,
  mine: readonly RoleAssignment[],
  roles: ReadonlyMap<string, RoleDefinition>,
): boolean {
  if (assignment.principalId === principal.objectId) return true;
  if (authorize(principal, action, assignment.scope, mine, roles).allowed) return true;
  return granting(principal, action, mine, roles).some((a) => scopeCovers(assignment.scope, a.scope));
}
