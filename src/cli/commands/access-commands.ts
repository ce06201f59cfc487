import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { cliConfigPath, cliPassword, loadCliConfig } from '../../config/config.js';
import { action, clientFor, progress, UsageError, withCommon, type CommonOptions } from '../cli-context.js';
import { print, type Column } from '../output.js';

const roleColumns: Column<{ name: string; builtIn: boolean; actions: string[]; notActions: string[] }>[] = [
  { header: 'Name', value: (r) => r.name },
  { header: 'Built-in', value: (r) => (r.builtIn ? 'yes' : '') },
  { header: 'Actions', value: (r) => r.actions.join(' ') },
  { header: 'NotActions', value: (r) => r.notActions.join(' ') },
];
const assignmentColumns: Column<{ id: string; principalId: string; roleName: string; scope: string }>[] = [
  { header: 'Id', value: (a) => a.id },
  { header: 'Principal', value: (a) => a.principalId },
  { header: 'Role', value: (a) => a.roleName },
  { header: 'Scope', value: (a) => a.scope },
];

/** `hangar login`: signs in with a password and saves an API token for the CLI. */
async function login(o: { user?: string; password?: string; days?: string }): Promise<void> {
  const cli = loadCliConfig();
  const user = o.user ?? '';
  const password = o.password ?? '';
  if (!user || !password)
    throw new UsageError('login needs --user and --password (or HANGAR_PASSWORD in scripts)');
  const res = await fetch(`${cli.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, password }),
  });
  if (!res.ok)
    throw new UsageError(
      `login failed: ${((await res.json()) as { error?: { message?: string } }).error?.message ?? res.statusText}`,
    );
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const made = await fetch(`${cli.url}/api/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ name: 'hangar login', expiresInDays: Number(o.days ?? 30) }),
  });
  const token = ((await made.json()) as { token?: string }).token;
  if (!token) throw new UsageError('login: the server did not issue a token');
  await fetch(`${cli.url}/api/auth/logout`, { method: 'POST', headers: { cookie } });
  const path = cliConfigPath();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify({ ...cli, token }, null, 2), { mode: 0o600 });
  progress(`Signed in as ${user}; token saved in ${path} (mode 0600).`);
}

/** `hangar login`, `hangar role …`, `hangar role assignment …`, `hangar user …`, `hangar token …`, `hangar audit list`. */
export function registerAccessCommands(program: Command): void {
  program
    .command('login')
    .description('Sign in with a password and save an API token for the CLI')
    .option('-u, --user <name>', 'user name')
    .option('-p, --password <password>', 'password (prefer HANGAR_PASSWORD)')
    .option('--days <n>', 'token lifetime in days', '30')
    .action(
      action((o: { user?: string; password?: string; days?: string }) =>
        login({ ...o, ...((o.password ?? cliPassword()) ? { password: o.password ?? cliPassword() } : {}) }),
      ),
    );
  const role = program
    .command('role')
    .description('Roles (built-in Owner, Contributor, Reader, and custom ones)');
  withCommon(role.command('list').description('List roles')).action(
    action(async (o: CommonOptions) => print(await clientFor(o).access.roles(), o, roleColumns)),
  );
  withCommon(role.command('create').description('Create or replace a custom role from action strings'))
    .requiredOption('-n, --name <name>', 'role name')
    .requiredOption('--actions <actions...>', 'allowed actions (* wildcards)')
    .option('--not-actions <actions...>', 'subtracted actions')
    .option('--description <text>', 'description')
    .action(
      action(
        async (
          o: CommonOptions & { name: string; actions: string[]; notActions?: string[]; description?: string },
        ) =>
          print(
            [
              await clientFor(o).access.putRole(o.name, {
                actions: o.actions,
                ...(o.notActions ? { notActions: o.notActions } : {}),
                ...(o.description ? { description: o.description } : {}),
              }),
            ],
            o,
            roleColumns,
          ),
      ),
    );
  const assignment = role.command('assignment').description('Who holds which role where');
  withCommon(assignment.command('create').description('Assign a role at a scope'))
    .requiredOption('--assignee <principal>', 'user name, user id or identity id')
    .requiredOption('--role <role>', 'role name')
    .option(
      '--scope <scope>',
      '/, /workspaces/{ws} or /workspaces/{ws}/computes/{name} (default: the workspace)',
    )
    .action(
      action(async (o: CommonOptions & { assignee: string; role: string; scope?: string }) =>
        print(
          [
            await clientFor(o).access.assign(
              o.assignee,
              o.role,
              o.scope ?? `/workspaces/${o.workspace ?? loadCliConfig().workspace ?? 'default'}`,
            ),
          ],
          o,
          assignmentColumns,
        ),
      ),
    );
  withCommon(assignment.command('list').description('List role assignments'))
    .option('--scope <scope>', 'at or below this scope')
    .action(
      action(async (o: CommonOptions & { scope?: string }) =>
        print(await clientFor(o).access.assignments(o.scope), o, assignmentColumns),
      ),
    );
  withCommon(assignment.command('delete').description('Remove a role assignment'), false)
    .requiredOption('--id <id>', 'assignment id')
    .action(
      action(async (o: CommonOptions & { id: string }) => {
        await clientFor(o).access.unassign(o.id);
        progress(`Removed role assignment ${o.id}`);
      }),
    );
  const user = program.command('user').description('Users (admin)');
  withCommon(user.command('create').description('Create a user'))
    .requiredOption('-n, --name <name>', 'user name')
    .option('--password <password>', 'password for the studio and `hangar login` (12+ characters)')
    .action(
      action(async (o: CommonOptions & { name: string; password?: string }) =>
        print(await clientFor(o).access.createUser(o.name, o.password), o, [
          { header: 'Id', value: (u) => u.id },
          { header: 'Name', value: (u) => u.name },
        ]),
      ),
    );
  withCommon(user.command('list').description('List users')).action(
    action(async (o: CommonOptions) =>
      print(await clientFor(o).access.users(), o, [
        { header: 'Id', value: (u) => u.id },
        { header: 'Name', value: (u) => u.name },
      ]),
    ),
  );
  const token = program.command('token').description('API tokens (shown once, stored hashed)');
  withCommon(token.command('create').description('Create an API token (for yourself, or --user as admin)'))
    .requiredOption('-n, --name <name>', 'label')
    .option('--days <n>', 'lifetime in days', '90')
    .option('--user <user>', 'for this user (admin)')
    .action(
      action(async (o: CommonOptions & { name: string; days: string; user?: string }) =>
        print(await clientFor(o).access.createToken(o.name, Number(o.days), o.user), o, [
          { header: 'Id', value: (t) => t.id },
          { header: 'Expires', value: (t) => t.expiresAt },
          { header: 'Token (shown once)', value: (t) => t.token },
        ]),
      ),
    );
  withCommon(token.command('list').description('Your tokens (never their values)')).action(
    action(async (o: CommonOptions) =>
      print(await clientFor(o).access.tokens(), o, [
        { header: 'Id', value: (t) => t.id },
        { header: 'Name', value: (t) => t.name },
        { header: 'Expires', value: (t) => t.expiresAt },
        { header: 'Revoked', value: (t) => t.revokedAt },
      ]),
    ),
  );
  withCommon(token.command('revoke').description('Revoke a token'), false)
    .requiredOption('--id <id>', 'token id')
    .action(
      action(async (o: CommonOptions & { id: string }) => {
        await clientFor(o).access.revokeToken(o.id);
        progress(`Revoked token ${o.id}`);
      }),
    );
  withCommon(program.command('audit').description('The audit log of mutating calls (admin)')).action(
    action(async (o: CommonOptions) =>
      print(
        (await clientFor(o).access.audit()) as Record<string, unknown>[],
        o,
        ['at', 'principal', 'method', 'path', 'status', 'outcome'].map((k) => ({
          header: k,
          value: (e: Record<string, unknown>) => e[k],
        })),
      ),
    ),
  );
}
