/** A user of this server. */
export interface UserRecord {
  /** Object id role assignments name (stable; the name may be reused after deletion). */
  id: string;
  name: string;
  /** scrypt hash `scrypt$salt$hash` (absent: token-only user). */
  passwordHash?: string;
  createdAt: string;
  disabled?: boolean;
}

/** An API token or a studio session: only its sha256 is kept. */
export interface TokenRecord {
  id: string;
  userId: string;
  kind: 'api' | 'session';
  /** A label the user gave (api tokens). */
  name: string;
  hash: string;
  createdAt: string;
  expiresAt: string;
  revokedAt?: string;
}

/** One mutating call: who, what, when, outcome. */
export interface AuditRecord {
  seq: number;
  at: string;
  principal: string;
  principalKind: string;
  action: string;
  method: string;
  path: string;
  status: number;
  outcome: 'Succeeded' | 'Failed' | 'Denied';
}
