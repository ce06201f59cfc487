import { createHash, randomBytes } from 'node:crypto';

/** A fresh random token (node registration or session). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Tokens are stored only as their sha256, so a store dump cannot impersonate a node. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
