import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { authorize, type Principal } from '../../domain/access/authorize.js';
import type { AuditRecord, TokenRecord, UserRecord } from '../../domain/access/identity-records.js';
import {
  builtInRoles,
  isValidScope,
  roleAllows,
  type RoleAssignment,
  type RoleDefinition,
} from '../../domain/access/roles.js';
import { assignmentVisible, listableWorkspaces } from '../../domain/access/visibility.js';
import { identitiesOf, type ManagedIdentity } from '../../domain/access/managed-identity.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import { isInstance, type InstanceRecord } from '../../domain/compute/compute-record.js';
import { instanceOwner } from '../../domain/instances/instance-access.js';
import type { ServiceContext } from '../services/service-context.js';
import type { Page, PageRequest } from '../../store/store.js';
import {
  HashSlots,
  hashPassword,
  newSecret,
  readSignedToken,
  signToken,
  tokenHash,
  verifyPassword,
} from './credentials.js';
import { hashToken as nodeTokenHash } from '../nodes/node-tokens.js';
import { addressThrottle, LoginThrottle, userThrottle } from './login-throttle.js';
import { looksLikeJwt, mintAccessToken, readAccessToken } from './identity-tokens.js';

/** Where a route is authorized: at a workspace/compute scope, anywhere the caller holds the action, or only at the root. */
export type RouteScope = { kind: 'scope'; scope: string } | { kind: 'anywhere' } | { kind: 'root' };

const SESSION_HOURS = 12;
const JOB_PREFIX = 'hgj_';
const IDENTITY_PREFIX = 'hgi_';
const INSTANCE_PREFIX = 'hgo_';

interface JobTokenPayload {
  ws: string;
  job: string;
  attempt: number;
  /** The MLflow run it may write (a rank writes to its multi-node job's run). */
  run: string;
}

/** A compute instance's credential for its owner (IDENTITY_HEADER in its sessions); `at`: that instance's createdAt. */
interface InstanceTokenPayload {
  ws: string;
  compute: string;
  at: string;
  owner: string;
}

interface IdentityTokenPayload {
  sub: string;
  name: string;
  exp: number;
}

/** Identity, tokens, roles and the access check every API call goes through. */
export class AccessService {
  /** Failed sign-ins per user name and client address (this server's memory only; a restart forgets them). */
  private readonly loginThrottle: LoginThrottle;
  /** Password hashes run one core short of the machine, so sign-ins never starve the event loop. */
  private readonly hashing = new HashSlots(Math.max(1, availableParallelism() - 1));

  constructor(private readonly ctx: ServiceContext) {
    this.loginThrottle = new LoginThrottle(() => ctx.clock.now().getTime());
  }

  private now(): Date {
    return this.ctx.clock.now();
  }

  /** First start: an admin user who is Owner of everything, with a password and an API token (shown once). */
  async bootstrap(): Promise<{ user: string; password: string; token: string } | undefined> {
    if ((await this.ctx.store.access.users()).length > 0) return undefined;
    const password = newSecret('').slice(0, 24);
    const user: UserRecord = {
      id: randomUUID(),
      name: 'admin',
      passwordHash: await hashPassword(password),
      createdAt: this.now().toISOString(),
    };
    await this.ctx.store.access.insertUser(user);
    await this.ctx.store.access.insertAssignment({
      id: randomUUID(),
      principalId: user.id,
      roleName: 'Owner',
      scope: '/',
      createdAt: user.createdAt,
      createdBy: 'bootstrap',
    });
    const { token } = await this.createToken(user, 'bootstrap', 365);
    return { user: user.name, password, token };
  }

  /** The principal behind a bearer token or session cookie, or undefined (the caller gets 401). */
  async authenticate(bearer: string | undefined): Promise<Principal | undefined> {
    if (!bearer) return undefined;
    if (bearer.startsWith('hgr_') || bearer.startsWith('hgs_')) return this.userFromToken(bearer);
    if (bearer.startsWith(JOB_PREFIX)) return this.jobFromToken(bearer);
    if (bearer.startsWith(IDENTITY_PREFIX)) {
      const p = readSignedToken<IdentityTokenPayload>(this.ctx.secrets, IDENTITY_PREFIX, bearer);
      return p && p.exp * 1000 > this.now().getTime()
        ? { kind: 'identity', objectId: p.sub, name: p.name }
        : undefined;
    }
    // Azure-style access tokens (the managed-identity endpoint's JWTs) act as the user they were minted for.
    if (looksLikeJwt(bearer)) {
      const claims = readAccessToken(this.ctx.secrets, bearer, this.now().getTime());
      const user = claims ? await this.ctx.store.access.getUser(claims.sub) : undefined;
      return user && !user.disabled ? { kind: 'user', objectId: user.id, name: user.name } : undefined;
    }
    const node = await this.ctx.store.nodes.bySessionTokenHash(nodeTokenHash(bearer));
    return node ? { kind: 'node', objectId: node.id, name: node.id } : undefined;
  }

  private async userFromToken(token: string): Promise<Principal | undefined> {
    const record = await this.ctx.store.access.tokenByHash(tokenHash(token));
    if (!record || record.revokedAt || record.expiresAt <= this.now().toISOString()) return undefined;
    const user = await this.ctx.store.access.getUser(record.userId);
    return user && !user.disabled ? { kind: 'user', objectId: user.id, name: user.name } : undefined;
  }

  private async jobFromToken(token: string): Promise<Principal | undefined> {
    const p = readSignedToken<JobTokenPayload>(this.ctx.secrets, JOB_PREFIX, token);
    if (!p) return undefined;
    const job = await this.ctx.store.jobs.get(p.ws, p.job);
    const current = job?.attempts[job.attempts.length - 1]?.attempt;
    // A run token lives as long as its attempt: a finished or superseded attempt's token is dead.
    if (!job || current !== p.attempt || ['Completed', 'Failed', 'Canceled'].includes(job.status))
      return undefined;
    return {
      kind: 'job',
      objectId: `job:${p.ws}/${p.job}`,
      name: `${p.ws}/${p.job}`,
      run: `${p.ws}/${p.run}`,
    };
  }

  /** Throws AuthorizationFailed naming the missing action unless the principal may act. */
  async check(principal: Principal, action: string, where: RouteScope): Promise<void> {
    const denial = await this.denial(principal, action, where);
    if (denial) throw new HangarError('AuthorizationFailed', denial, action);
  }

  private async denial(principal: Principal, action: string, where: RouteScope): Promise<string | undefined> {
    if (principal.kind === 'node') {
      // Nodes read code and write outputs/checkpoints; everything else they do goes through agent routes.
      return /\/snapshots\/(read|write)$/.test(action)
        ? undefined
        : `node '${principal.name}' may not perform ${action}: nodes use the agent routes.`;
    }
    if (principal.kind === 'job') {
      const ws = principal.run?.split('/')[0] ?? '';
      const ok =
        /\/jobs\/(read|write)$/.test(action) && where.kind === 'scope' && where.scope === `/workspaces/${ws}`;
      return ok
        ? undefined
        : `job '${principal.name}' may not perform ${action}: a run token only logs to its own run (use its managed identity for more).`;
    }
    const roles = await this.roleMap();
    const mine = await this.ctx.store.access.assignments({ principalId: principal.objectId });
    if (where.kind === 'scope') {
      const d = authorize(principal, action, where.scope, mine, roles);
      return d.allowed ? undefined : d.message;
    }
    const usable = where.kind === 'root' ? mine.filter((a) => a.scope === '/') : mine;
    if (
      usable.some((a) => {
        const r = roles.get(a.roleName.toLowerCase());
        return r !== undefined && roleAllows(r, action);
      })
    )
      return undefined;
    return `${principal.kind} '${principal.name}' may not perform ${action}${where.kind === 'root' ? ' (it needs a role at the server scope /)' : ''}: none of its roles include it.`;
  }

  /**
   * Whether a user or identity may perform `action` at each of many scopes, its roles read once
   * (lists and snapshot reads ask per item). Nodes and run tokens hold no roles: always false.
   */
  async allows(principal: Principal, action: string): Promise<(scope: string) => boolean> {
    if (principal.kind === 'node' || principal.kind === 'job') return () => false;
    const roles = await this.roleMap();
    const mine = await this.ctx.store.access.assignments({ principalId: principal.objectId });
    return (scope) => authorize(principal, action, scope, mine, roles).allowed;
  }

  /** The workspaces a list shows the caller: 'all', or the lower-case names it may read (see visibility.ts). */
  async listableWorkspaces(principal: Principal, action: string): Promise<'all' | string[]> {
    if (principal.kind === 'node' || principal.kind === 'job') return [];
    return listableWorkspaces(
      principal,
      action,
      await this.ctx.store.access.assignments({ principalId: principal.objectId }),
      await this.roleMap(),
    );
  }

  /** Role assignments (at or below `scopePrefix`) the caller may see, as Azure's access blade shows them (see visibility.ts). */
  async visibleAssignments(principal: Principal, scopePrefix?: string): Promise<RoleAssignment[]> {
    const all = await this.ctx.store.access.assignments(scopePrefix ? { scopePrefix } : {});
    if (principal.kind === 'node' || principal.kind === 'job') return [];
    const roles = await this.roleMap();
    const mine = await this.ctx.store.access.assignments({ principalId: principal.objectId });
    return all.filter((a) =>
      assignmentVisible(principal, a, 'Microsoft.Authorization/roleAssignments/read', mine, roles),
    );
  }

  /** Built-in and custom roles by lower-case name. */
  async roleMap(): Promise<Map<string, RoleDefinition>> {
    const custom = await this.ctx.store.access.roles();
    return new Map([...builtInRoles, ...custom].map((r) => [r.name.toLowerCase(), r]));
  }

  /**
   * Signs in with a password. Failures slow further attempts for that user name and for the
   * client address (`from`): once in backoff the answer is TooManyRequests with its wait, and no
   * password is checked. Hashing runs off the event loop.
   */
  async login(
    name: string,
    password: string,
    from = 'unknown',
  ): Promise<{ token: string; user: UserRecord; expiresAt: string }> {
    const byUser = { key: `user:${name.toLowerCase()}`, policy: userThrottle };
    const byAddress = { key: `address:${from}`, policy: addressThrottle };
    const wait = this.loginThrottle.begin([byUser, byAddress]);
    if (wait !== undefined) {
      const err = new HangarError(
        'TooManyRequests',
        `Too many failed sign-ins for user '${name}' or from ${from}; try again in ${wait} s.`,
        'user',
      );
      err.retryAfterSeconds = wait;
      throw err;
    }
    const user = await this.ctx.store.access.userByName(name);
    const ok = await this.hashing.run(() => verifyPassword(password, user?.passwordHash));
    if (!user || user.disabled || !ok)
      throw new HangarError('Unauthenticated', 'Unknown user name or wrong password.', 'password');
    this.loginThrottle.succeeded(byUser, [byAddress]);
    const token = newSecret('hgs_');
    const expiresAt = new Date(this.now().getTime() + SESSION_HOURS * 3600_000).toISOString();
    await this.ctx.store.access.insertToken({
      id: randomUUID(),
      userId: user.id,
      kind: 'session',
      name: 'studio session',
      hash: tokenHash(token),
      createdAt: this.now().toISOString(),
      expiresAt,
    });
    return { token, user, expiresAt };
  }

  /** An API token for a user; the value is answered once and only its hash is kept. */
  async createToken(
    user: UserRecord,
    name: string,
    days: number,
  ): Promise<{ token: string; record: TokenRecord }> {
    if (!Number.isFinite(days) || days <= 0 || days > 3650)
      throw new HangarError(
        'ValidationFailed',
        `expiresInDays must be between 1 and 3650; got ${days}.`,
        'expiresInDays',
      );
    const token = newSecret('hgr_');
    const record: TokenRecord = {
      id: randomUUID(),
      userId: user.id,
      kind: 'api',
      name,
      hash: tokenHash(token),
      createdAt: this.now().toISOString(),
      expiresAt: new Date(this.now().getTime() + days * 86400_000).toISOString(),
    };
    await this.ctx.store.access.insertToken(record);
    return { token, record };
  }

  /** Every user. */
  users(): Promise<UserRecord[]> {
    return this.ctx.store.access.users();
  }

  /** A user by id or (case-insensitive) name, or NotFound naming it. */
  async findUser(idOrName: string): Promise<UserRecord> {
    const user = (await this.ctx.store.access.users()).find(
      (u) => u.id === idOrName || u.name.toLowerCase() === idOrName.toLowerCase(),
    );
    if (!user) throw new HangarError('NotFound', `User '${idOrName}' does not exist.`, 'id');
    return user;
  }

  /** The tokens of a user (records only: values are never kept). */
  tokensOf(userId: string): Promise<TokenRecord[]> {
    return this.ctx.store.access.tokens(userId);
  }

  /** The role assignments a principal holds. */
  assignmentsOf(principalId: string): Promise<RoleAssignment[]> {
    return this.ctx.store.access.assignments({ principalId });
  }

  /** Ends a studio session: the token behind the session cookie is revoked (an unknown one is ignored). */
  async endSession(sessionToken: string): Promise<void> {
    const record = await this.ctx.store.access.tokenByHash(tokenHash(sessionToken));
    if (record) await this.ctx.store.access.revokeToken(record.id, this.now().toISOString());
  }

  /** Records one mutating call in the audit log (stamped with the server clock). */
  recordAudit(entry: Omit<AuditRecord, 'seq' | 'at'>): Promise<void> {
    return this.ctx.store.audit.append({ at: this.now().toISOString(), ...entry });
  }

  /** A page of the audit log, oldest first. */
  auditLog(page: PageRequest): Promise<Page<AuditRecord>> {
    return this.ctx.store.audit.list(page);
  }

  async user(id: string): Promise<UserRecord> {
    const user = await this.ctx.store.access.getUser(id);
    if (!user) throw new HangarError('NotFound', `User '${id}' does not exist.`, 'user');
    return user;
  }

  async createUser(name: string, password: string | undefined): Promise<UserRecord> {
    if (!/^[A-Za-z][A-Za-z0-9._-]{1,63}$/.test(name))
      throw new HangarError(
        'InvalidName',
        `User names are 2–64 letters, digits, '.', '_' or '-', starting with a letter; got '${name}'.`,
        'name',
      );
    if (password !== undefined && password.length < 12)
      throw new HangarError('ValidationFailed', 'password must have at least 12 characters.', 'password');
    const user: UserRecord = {
      id: randomUUID(),
      name,
      createdAt: this.now().toISOString(),
      ...(password ? { passwordHash: await this.hashing.run(() => hashPassword(password)) } : {}),
    };
    await this.ctx.store.access.insertUser(user);
    return user;
  }

  /** Revokes a token of the caller (or any token, for an Owner at /). */
  async revokeToken(principal: Principal, id: string): Promise<void> {
    const mine = (await this.ctx.store.access.tokens(principal.objectId)).some((t) => t.id === id);
    // Someone else's token is invisible unless the caller administers users.
    const admin =
      !mine && (await this.denial(principal, 'Hangar/users/tokens/delete', { kind: 'root' })) === undefined;
    if ((!mine && !admin) || !(await this.ctx.store.access.revokeToken(id, this.now().toISOString())))
      throw new HangarError('NotFound', `You have no token '${id}'.`, 'id');
  }

  async putRole(def: {
    name: string;
    description?: string;
    actions: string[];
    notActions?: string[];
  }): Promise<RoleDefinition> {
    if (builtInRoles.some((r) => r.name.toLowerCase() === def.name.toLowerCase()))
      throw new HangarError('Conflict', `'${def.name}' is a built-in role and cannot be changed.`, 'name');
    if (!/^[A-Za-z][A-Za-z0-9 ._-]{1,63}$/.test(def.name))
      throw new HangarError(
        'InvalidName',
        `Role names are 2–64 letters, digits, spaces, '.', '_' or '-', starting with a letter; got '${def.name}'.`,
        'name',
      );
    const bad = [...def.actions, ...(def.notActions ?? [])].filter(
      (a) => !/^[A-Za-z*][A-Za-z0-9.*/]*$/.test(a),
    );
    if (def.actions.length === 0 || bad.length > 0)
      throw new HangarError(
        'ValidationFailed',
        bad.length
          ? `actions must look like Microsoft.MachineLearningServices/workspaces/computes/read (wildcards '*' allowed); got ${bad.map((b) => `'${b}'`).join(', ')}.`
          : 'actions must list at least one action.',
        'actions',
      );
    const role: RoleDefinition = {
      name: def.name,
      description: def.description ?? '',
      actions: def.actions,
      notActions: def.notActions ?? [],
      builtIn: false,
    };
    await this.ctx.store.access.putRole(role);
    return role;
  }

  async deleteRole(name: string): Promise<void> {
    if (builtInRoles.some((r) => r.name.toLowerCase() === name.toLowerCase()))
      throw new HangarError('Conflict', `'${name}' is a built-in role.`, 'name');
    const used = (await this.ctx.store.access.assignments({})).filter(
      (a) => a.roleName.toLowerCase() === name.toLowerCase(),
    );
    if (used.length)
      throw new HangarError(
        'Conflict',
        `Role '${name}' is assigned ${used.length} time(s); delete those assignments first.`,
        'name',
      );
    if (!(await this.ctx.store.access.deleteRole(name)))
      throw new HangarError('NotFound', `Role '${name}' does not exist.`, 'name');
  }

  async createAssignment(
    by: Principal,
    body: { principalId: string; roleName: string; scope: string },
  ): Promise<RoleAssignment> {
    const problems: string[] = [];
    if (!isValidScope(body.scope))
      problems.push(
        `scope must be /, /workspaces/{ws} or /workspaces/{ws}/computes/{name}; got '${body.scope}'`,
      );
    const role = (await this.roleMap()).get(body.roleName.toLowerCase());
    if (!role) problems.push(`role '${body.roleName}' does not exist (see \`hangar role list\`)`);
    if (problems.length)
      throw new HangarError(
        'ValidationFailed',
        problems.join('; '),
        problems[0]?.startsWith('scope') ? 'scope' : 'roleName',
      );
    // The assigner needs the right to assign at that scope.
    await this.check(
      by,
      'Microsoft.Authorization/roleAssignments/write',
      body.scope === '/' ? { kind: 'root' } : { kind: 'scope', scope: body.scope },
    );
    const user = await this.ctx.store.access.getUser(body.principalId);
    const byName = user ? undefined : await this.ctx.store.access.userByName(body.principalId);
    const assignment: RoleAssignment = {
      id: randomUUID(),
      principalId: user?.id ?? byName?.id ?? body.principalId,
      roleName: role?.name ?? body.roleName,
      scope: body.scope,
      createdAt: this.now().toISOString(),
      createdBy: by.name,
    };
    await this.ctx.store.access.insertAssignment(assignment);
    return assignment;
  }

  /** Removes a role assignment; `by` needs roleAssignments/delete at its scope. */
  async deleteAssignment(by: Principal, id: string): Promise<void> {
    const a = (await this.ctx.store.access.assignments({})).find((x) => x.id === id);
    if (!a) throw new HangarError('NotFound', `Role assignment '${id}' does not exist.`, 'id');
    await this.check(
      by,
      'Microsoft.Authorization/roleAssignments/delete',
      a.scope === '/' ? { kind: 'root' } : { kind: 'scope', scope: a.scope },
    );
    await this.ctx.store.access.deleteAssignment(a.id);
  }

  /** A run token for one attempt of a job (MLFLOW_TRACKING_TOKEN, MSI_SECRET). */
  jobToken(workspace: string, job: string, attempt: number, run: string): string {
    return signToken(this.ctx.secrets, JOB_PREFIX, {
      ws: workspace,
      job,
      attempt,
      run,
    } satisfies JobTokenPayload);
  }

  /** The job behind a run token (for the identity endpoint), or undefined when it is not valid now. */
  async jobOfToken(token: string): Promise<{ workspace: string; name: string } | undefined> {
    const principal = await this.jobFromToken(token);
    const p = principal ? readSignedToken<JobTokenPayload>(this.ctx.secrets, JOB_PREFIX, token) : undefined;
    return p ? { workspace: p.ws, name: p.job } : undefined;
  }

  /** The managed identities of a job's compute (none when the job or its compute is gone). */
  async jobIdentities(job: {
    workspace: string;
    name: string;
  }): Promise<{ computeName?: string; identities: ManagedIdentity[] }> {
    const record = await this.ctx.store.jobs.get(job.workspace, job.name);
    const compute = record ? await this.ctx.store.computes.get(job.workspace, record.computeName) : undefined;
    return {
      ...(record ? { computeName: record.computeName } : {}),
      identities: compute ? identitiesOf(compute) : [],
    };
  }

  /** An Azure-style access token (JWT, `aud` = the resource) for a signed-in user, as the managed-identity endpoint answers. */
  async userAccessToken(
    principal: Principal,
    resource: string,
  ): Promise<{ token: string; expiresOn: number; audience: string }> {
    const user =
      principal.kind === 'user' ? await this.ctx.store.access.getUser(principal.objectId) : undefined;
    if (!user || user.disabled)
      throw new HangarError(
        'Unauthenticated',
        `Only a signed-in user's credential can be exchanged for an access token; got a ${principal.kind} credential.`,
        'X-IDENTITY-HEADER',
      );
    const seconds = this.ctx.config.identityTokenSeconds;
    return mintAccessToken(this.ctx.secrets, user, resource, this.now().getTime(), seconds);
  }

  /**
   * The credential a compute instance's sessions hold for its owner (IDENTITY_HEADER, as Azure's
   * instance gives its user's token): only the managed-identity endpoint takes it, minting the owner
   * short-lived access tokens, and only while that very instance exists with that owner.
   */
  instanceToken(instance: InstanceRecord, owner: string): string {
    return signToken(this.ctx.secrets, INSTANCE_PREFIX, {
      ws: instance.workspace,
      compute: instance.name,
      at: instance.createdAt,
      owner,
    } satisfies InstanceTokenPayload);
  }

  /** The owner behind an instance credential, or undefined (bad, or the instance is gone or changed hands). */
  async instanceOwnerOfToken(token: string): Promise<Principal | undefined> {
    const p = readSignedToken<InstanceTokenPayload>(this.ctx.secrets, INSTANCE_PREFIX, token);
    if (!p) return undefined;
    const record = await this.ctx.store.computes.get(p.ws, p.compute);
    if (!record || !isInstance(record) || record.createdAt !== p.at || instanceOwner(record) !== p.owner)
      return undefined;
    const user = await this.ctx.store.access.getUser(p.owner);
    return user && !user.disabled ? { kind: 'user', objectId: user.id, name: user.name } : undefined;
  }

  /** A short-lived access token for a managed identity. */
  identityToken(objectId: string, name: string, seconds: number): { token: string; expiresOn: number } {
    const exp = Math.floor(this.now().getTime() / 1000) + seconds;
    return {
      token: signToken(this.ctx.secrets, IDENTITY_PREFIX, {
        sub: objectId,
        name,
        exp,
      } satisfies IdentityTokenPayload),
      expiresOn: exp,
    };
  }
}
