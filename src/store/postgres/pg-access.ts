import type { AuditRecord, TokenRecord, UserRecord } from '../../domain/access/identity-records.js';
import type { RoleAssignment, RoleDefinition } from '../../domain/access/roles.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import { decodeToken, toPage } from '../sqlite/paging.js';
import type { AccessRepository, AuditRepository, Page, PageRequest } from '../store.js';
import type { PgDb } from './pg-db.js';

type Doc = { doc: string };
const parse = <T>(row: Doc | undefined): T | undefined => (row ? (JSON.parse(row.doc) as T) : undefined);
const parseAll = <T>(rows: Doc[]): T[] => rows.map((r) => JSON.parse(r.doc) as T);
const changed = (r: { rowCount: number | null }): boolean => (r.rowCount ?? 0) > 0;

/** Users, tokens, custom roles and role assignments in PostgreSQL. */
export class PgAccess implements AccessRepository {
  constructor(private readonly db: PgDb) {}

  async getUser(id: string): Promise<UserRecord | undefined> {
    return parse(await this.db.one<Doc>('SELECT doc FROM users WHERE id = $1', [id]));
  }

  async userByName(name: string): Promise<UserRecord | undefined> {
    return parse(await this.db.one<Doc>('SELECT doc FROM users WHERE name_key = $1', [name.toLowerCase()]));
  }

  async users(): Promise<UserRecord[]> {
    return parseAll(await this.db.rows<Doc>('SELECT doc FROM users ORDER BY name_key'));
  }

  async insertUser(user: UserRecord): Promise<void> {
    const r = await this.db.query(
      'INSERT INTO users (id, name_key, doc) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [user.id, user.name.toLowerCase(), JSON.stringify(user)],
    );
    if (!changed(r))
      throw new HangarError('NameConflict', `A user named '${user.name}' already exists.`, 'name');
  }

  async updateUser(user: UserRecord): Promise<void> {
    await this.db.query('UPDATE users SET doc = $1 WHERE id = $2', [JSON.stringify(user), user.id]);
  }

  async insertToken(token: TokenRecord): Promise<void> {
    await this.db.query('INSERT INTO tokens (id, user_id, hash, doc) VALUES ($1, $2, $3, $4)', [
      token.id,
      token.userId,
      token.hash,
      JSON.stringify(token),
    ]);
  }

  async tokenByHash(hash: string): Promise<TokenRecord | undefined> {
    return parse(await this.db.one<Doc>('SELECT doc FROM tokens WHERE hash = $1', [hash]));
  }

  async tokens(userId: string): Promise<TokenRecord[]> {
    return parseAll(
      await this.db.rows<Doc>('SELECT doc FROM tokens WHERE user_id = $1 ORDER BY id', [userId]),
    );
  }

  revokeToken(id: string, at: string): Promise<boolean> {
    return this.db.transaction(async () => {
      const token = parse<TokenRecord>(
        await this.db.one<Doc>('SELECT doc FROM tokens WHERE id = $1 FOR UPDATE', [id]),
      );
      if (!token) return false;
      if (!token.revokedAt)
        await this.db.query('UPDATE tokens SET doc = $1 WHERE id = $2', [
          JSON.stringify({ ...token, revokedAt: at }),
          id,
        ]);
      return true;
    }, false);
  }

  async roles(): Promise<RoleDefinition[]> {
    return parseAll(await this.db.rows<Doc>('SELECT doc FROM roles ORDER BY name_key'));
  }

  async putRole(role: RoleDefinition): Promise<void> {
    await this.db.query(
      'INSERT INTO roles (name_key, doc) VALUES ($1, $2) ON CONFLICT (name_key) DO UPDATE SET doc = excluded.doc',
      [role.name.toLowerCase(), JSON.stringify(role)],
    );
  }

  async deleteRole(name: string): Promise<boolean> {
    return changed(await this.db.query('DELETE FROM roles WHERE name_key = $1', [name.toLowerCase()]));
  }

  async assignments(filter: { principalId?: string; scopePrefix?: string }): Promise<RoleAssignment[]> {
    const all = parseAll<RoleAssignment>(
      await this.db.rows<Doc>(
        'SELECT doc FROM role_assignments WHERE ($1::text IS NULL OR principal_id = $1) ORDER BY id',
        [filter.principalId ?? null],
      ),
    );
    const prefix = filter.scopePrefix?.toLowerCase();
    return prefix
      ? all.filter((a) => a.scope.toLowerCase() === prefix || a.scope.toLowerCase().startsWith(`${prefix}/`))
      : all;
  }

  async insertAssignment(a: RoleAssignment): Promise<void> {
    await this.db.query(
      'INSERT INTO role_assignments (id, principal_id, scope, doc) VALUES ($1, $2, $3, $4)',
      [a.id, a.principalId, a.scope, JSON.stringify(a)],
    );
  }

  async deleteAssignment(id: string): Promise<boolean> {
    return changed(await this.db.query('DELETE FROM role_assignments WHERE id = $1', [id]));
  }
}

/** The audit log in PostgreSQL. */
export class PgAudit implements AuditRepository {
  constructor(private readonly db: PgDb) {}

  async append(entry: Omit<AuditRecord, 'seq'>): Promise<void> {
    await this.db.query('INSERT INTO audit_log (doc) VALUES ($1)', [JSON.stringify(entry)]);
  }

  async list(page: PageRequest): Promise<Page<AuditRecord>> {
    const after = Number(decodeToken(page.skipToken)?.[0] ?? 0);
    const rows = await this.db.rows<Doc & { seq: string }>(
      'SELECT seq, doc FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2',
      [after, page.top + 1],
    );
    return toPage(
      rows,
      page,
      (r) => [Number(r.seq)],
      (r) => ({ ...(JSON.parse(r.doc) as Omit<AuditRecord, 'seq'>), seq: Number(r.seq) }),
    );
  }
}
