import type Database from 'better-sqlite3';
import type { AuditRecord, TokenRecord, UserRecord } from '../../domain/access/identity-records.js';
import type { RoleAssignment, RoleDefinition } from '../../domain/access/roles.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { AccessRepository, AuditRepository, Page, PageRequest } from '../store.js';
import { deepFreeze } from './frozen.js';
import { decodeToken, toPage } from './paging.js';
import { settle } from './settle.js';
import { statement } from './statements.js';

type Doc = { doc: string };
const parse = <T>(row: Doc | undefined): T | undefined => (row ? (JSON.parse(row.doc) as T) : undefined);

/** Users, tokens, custom roles and role assignments in SQLite. */
export class SqliteAccess implements AccessRepository {
  /**
   * Parsed roles and role assignments (by principal, '' for all): every authorised request reads
   * them, and they change rarely. Dropped by this repository's writes to them, by a rollback, and
   * when another connection commits (PRAGMA data_version).
   */
  private rolesRead: RoleDefinition[] | undefined;
  private readonly assignmentsRead = new Map<string, RoleAssignment[]>();
  /**
   * Tokens by hash and users by id, as read (not misses: a guessed token must not grow it), kept
   * the same way: every authenticated request reads one of each. Callers get a copy of their own
   * (the records are flat), so one that changes what it read changes nothing here.
   */
  private readonly tokensRead = new Map<string, TokenRecord>();
  private readonly usersRead = new Map<string, UserRecord>();
  private dataVersion: number | undefined;

  constructor(private readonly db: Database.Database) {}

  /** Forgets the cached roles, assignments, tokens and users. */
  forget(): void {
    this.rolesRead = undefined;
    this.assignmentsRead.clear();
    this.tokensRead.clear();
    this.usersRead.clear();
  }

  /** A cached record by key, else read and (when found) kept; answered as a copy either way. */
  private remembered<T extends object>(
    cache: Map<string, T>,
    key: string,
    read: () => T | undefined,
  ): T | undefined {
    this.cacheCurrent();
    let record = cache.get(key);
    if (!record) {
      record = read();
      if (!record) return undefined;
      if (cache.size >= 10_000) cache.clear();
      cache.set(key, record);
    }
    return { ...record };
  }

  private cacheCurrent(): void {
    const v = statement(this.db, 'PRAGMA data_version').pluck().get() as number;
    if (this.dataVersion !== v) this.forget();
    this.dataVersion = v;
  }

  getUser(id: string): Promise<UserRecord | undefined> {
    return Promise.resolve(
      this.remembered(this.usersRead, id, () =>
        parse<UserRecord>(
          statement(this.db, 'SELECT doc FROM users WHERE id = ?').get(id) as Doc | undefined,
        ),
      ),
    );
  }

  userByName(name: string): Promise<UserRecord | undefined> {
    return Promise.resolve(
      parse(
        statement(this.db, 'SELECT doc FROM users WHERE name_key = ?').get(name.toLowerCase()) as
          Doc | undefined,
      ),
    );
  }

  users(): Promise<UserRecord[]> {
    return Promise.resolve(
      (statement(this.db, 'SELECT doc FROM users ORDER BY name_key').all() as Doc[]).map(
        (r) => JSON.parse(r.doc) as UserRecord,
      ),
    );
  }

  insertUser(user: UserRecord): Promise<void> {
    this.forget();
    return settle(() => {
      try {
        statement(this.db, 'INSERT INTO users (id, name_key, doc) VALUES (?, ?, ?)').run(
          user.id,
          user.name.toLowerCase(),
          JSON.stringify(user),
        );
      } catch (err) {
        if (String((err as { code?: string }).code).startsWith('SQLITE_CONSTRAINT'))
          throw new HangarError('NameConflict', `A user named '${user.name}' already exists.`, 'name');
        throw err;
      }
    });
  }

  updateUser(user: UserRecord): Promise<void> {
    this.forget();
    return settle(
      () =>
        void statement(this.db, 'UPDATE users SET doc = ? WHERE id = ?').run(JSON.stringify(user), user.id),
    );
  }

  insertToken(token: TokenRecord): Promise<void> {
    this.forget();
    return settle(
      () =>
        void statement(this.db, 'INSERT INTO tokens (id, user_id, hash, doc) VALUES (?, ?, ?, ?)').run(
          token.id,
          token.userId,
          token.hash,
          JSON.stringify(token),
        ),
    );
  }

  tokenByHash(hash: string): Promise<TokenRecord | undefined> {
    return Promise.resolve(
      this.remembered(this.tokensRead, hash, () =>
        parse<TokenRecord>(
          statement(this.db, 'SELECT doc FROM tokens WHERE hash = ?').get(hash) as Doc | undefined,
        ),
      ),
    );
  }

  tokens(userId: string): Promise<TokenRecord[]> {
    return Promise.resolve(
      (statement(this.db, 'SELECT doc FROM tokens WHERE user_id = ? ORDER BY id').all(userId) as Doc[]).map(
        (r) => JSON.parse(r.doc) as TokenRecord,
      ),
    );
  }

  revokeToken(id: string, at: string): Promise<boolean> {
    this.forget();
    return settle(() => {
      const row = statement(this.db, 'SELECT doc FROM tokens WHERE id = ?').get(id) as Doc | undefined;
      const token = parse<TokenRecord>(row);
      if (!token) return false;
      if (!token.revokedAt)
        statement(this.db, 'UPDATE tokens SET doc = ? WHERE id = ?').run(
          JSON.stringify({ ...token, revokedAt: at }),
          id,
        );
      return true;
    });
  }

  roles(): Promise<RoleDefinition[]> {
    this.cacheCurrent();
    this.rolesRead ??= deepFreeze(
      (statement(this.db, 'SELECT doc FROM roles ORDER BY name_key').all() as Doc[]).map(
        (r) => JSON.parse(r.doc) as RoleDefinition,
      ),
    );
    // An array of its own: callers may sort or filter it in place.
    return Promise.resolve([...this.rolesRead]);
  }

  putRole(role: RoleDefinition): Promise<void> {
    this.forget();
    return settle(
      () =>
        void statement(
          this.db,
          'INSERT INTO roles (name_key, doc) VALUES (?, ?) ON CONFLICT (name_key) DO UPDATE SET doc = excluded.doc',
        ).run(role.name.toLowerCase(), JSON.stringify(role)),
    );
  }

  deleteRole(name: string): Promise<boolean> {
    this.forget();
    return settle(
      () => statement(this.db, 'DELETE FROM roles WHERE name_key = ?').run(name.toLowerCase()).changes > 0,
    );
  }

  assignments(filter: { principalId?: string; scopePrefix?: string }): Promise<RoleAssignment[]> {
    this.cacheCurrent();
    const key = filter.principalId === undefined ? '' : `p:${filter.principalId}`;
    let all = this.assignmentsRead.get(key);
    if (!all) {
      const rows = statement(
        this.db,
        'SELECT doc FROM role_assignments WHERE (? IS NULL OR principal_id = ?) ORDER BY id',
      ).all(filter.principalId ?? null, filter.principalId ?? null) as Doc[];
      all = deepFreeze(rows.map((r) => JSON.parse(r.doc) as RoleAssignment));
      if (this.assignmentsRead.size >= 10_000) this.assignmentsRead.clear();
      this.assignmentsRead.set(key, all);
    }
    const prefix = filter.scopePrefix?.toLowerCase();
    return Promise.resolve(
      prefix
        ? all.filter(
            (a) => a.scope.toLowerCase() === prefix || a.scope.toLowerCase().startsWith(`${prefix}/`),
          )
        : [...all],
    );
  }

  insertAssignment(a: RoleAssignment): Promise<void> {
    this.forget();
    return settle(
      () =>
        void statement(
          this.db,
          'INSERT INTO role_assignments (id, principal_id, scope, doc) VALUES (?, ?, ?, ?)',
        ).run(a.id, a.principalId, a.scope, JSON.stringify(a)),
    );
  }

  deleteAssignment(id: string): Promise<boolean> {
    this.forget();
    return settle(() => statement(this.db, 'DELETE FROM role_assignments WHERE id = ?').run(id).changes > 0);
  }
}

/** The audit log in SQLite. */
export class SqliteAudit implements AuditRepository {
  constructor(private readonly db: Database.Database) {}

  append(entry: Omit<AuditRecord, 'seq'>): Promise<void> {
    return settle(
      () => void statement(this.db, 'INSERT INTO audit_log (doc) VALUES (?)').run(JSON.stringify(entry)),
    );
  }

  list(page: PageRequest): Promise<Page<AuditRecord>> {
    const after = Number(decodeToken(page.skipToken)?.[0] ?? 0);
    const rows = statement(this.db, 'SELECT seq, doc FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?').all(
      after,
      page.top + 1,
    ) as (Doc & { seq: number })[];
    return Promise.resolve(
      toPage(
        rows,
        page,
        (r) => [r.seq],
        (r) => ({ ...(JSON.parse(r.doc) as Omit<AuditRecord, 'seq'>), seq: r.seq }),
      ),
    );
  }
}
