/**
 * Roles in Azure's shape: a role allows `actions` minus `notActions`; `*` matches any run of
 * characters (including `/`), case-insensitively, as Azure RBAC does.
 */
export interface RoleDefinition {
  name: string;
  description: string;
  actions: string[];
  notActions: string[];
  builtIn: boolean;
}

/** Who holds which role where. Scope `/` is the whole server; `/workspaces/{ws}` a workspace; `/workspaces/{ws}/computes/{name}` one compute. */
export interface RoleAssignment {
  id: string;
  principalId: string;
  roleName: string;
  scope: string;
  createdAt: string;
  createdBy: string;
}

/** Azure ML's built-in roles, reduced to Hangar's actions. */
export const builtInRoles: RoleDefinition[] = [
  {
    name: 'Owner',
    description: 'Full access, including role assignments.',
    actions: ['*'],
    notActions: [],
    builtIn: true,
  },
  {
    name: 'Contributor',
    description: 'Full access except managing access (role definitions and assignments) and users.',
    actions: ['*'],
    notActions: [
      'Microsoft.Authorization/*/write',
      'Microsoft.Authorization/*/delete',
      'Hangar/users/*',
      'Hangar/admin/*',
    ],
    builtIn: true,
  },
  {
    name: 'Reader',
    description: 'Read everything; change nothing.',
    actions: ['*/read'],
    notActions: [],
    builtIn: true,
  },
];

const cache = new Map<string, RegExp>();

/** Whether an action string matches a pattern with `*` wildcards (case-insensitive). */
export function actionMatches(pattern: string, action: string): boolean {
  let re = cache.get(pattern);
  if (!re) {
    re = new RegExp(
      `^${pattern
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
      'i',
    );
    cache.set(pattern, re);
  }
  return re.test(action);
}

/** Whether a role allows an action. */
export function roleAllows(role: Pick<RoleDefinition, 'actions' | 'notActions'>, action: string): boolean {
  return (
    role.actions.some((a) => actionMatches(a, action)) &&
    !role.notActions.some((a) => actionMatches(a, action))
  );
}

/** Whether an assignment at `assignmentScope` covers a request at `scope` (same or below). */
export function scopeCovers(assignmentScope: string, scope: string): boolean {
  if (assignmentScope === '/') return true;
  const a = assignmentScope.replace(/\/+$/, '').toLowerCase();
  const s = scope.replace(/\/+$/, '').toLowerCase();
  return s === a || s.startsWith(`${a}/`);
}

/** Scope syntax: `/`, `/workspaces/{ws}` or `/workspaces/{ws}/computes/{name}`. */
export function isValidScope(scope: string): boolean {
  return scope === '/' || /^\/workspaces\/[^/]+(\/computes\/[^/]+)?$/.test(scope);
}
