import { roleAllows, scopeCovers, type RoleAssignment, type RoleDefinition } from './roles.js';

/** Who calls: a user, a managed identity, a job (its own run only) or a node (agent routes). */
export interface Principal {
  kind: 'user' | 'identity' | 'job' | 'node';
  /** Object id role assignments name (users: their id; identities: their client id). */
  objectId: string;
  /** Display name (user name, identity name). */
  name: string;
  /** Jobs: the run they may write to (`workspace/jobName`). */
  run?: string;
}

/** The answer of an access check: allowed by a role at a scope, or denied with the reason. */
export type AccessDecision =
  { allowed: true; role: string; scope: string } | { allowed: false; message: string };

/**
 * Whether a principal may perform `action` at `scope`: some role assigned to it at that scope or
 * above allows the action. A denial names the principal, the missing action and the scope.
 */
export function authorize(
  principal: Principal,
  action: string,
  scope: string,
  assignments: readonly RoleAssignment[],
  roles: ReadonlyMap<string, RoleDefinition>,
): AccessDecision {
  for (const a of assignments) {
    if (a.principalId !== principal.objectId || !scopeCovers(a.scope, scope)) continue;
    const role = roles.get(a.roleName.toLowerCase());
    if (role && roleAllows(role, action)) return { allowed: true, role: role.name, scope: a.scope };
  }
  const held = assignments
    .filter((a) => a.principalId === principal.objectId && scopeCovers(a.scope, scope))
    .map((a) => `${a.roleName} at ${a.scope}`);
  return {
    allowed: false,
    message: `${principal.kind} '${principal.name}' may not perform ${action} at ${scope}: ${held.length ? `its roles there (${held.join(', ')}) do not include it` : 'it has no role there'}.`,
  };
}
