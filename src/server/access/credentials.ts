import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { SecretBox } from '../secrets/secret-box.js';

/** A new random token with a prefix saying what it is (hgr_ API, hgs_ session). */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** What the store keeps of a token: its sha256. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** scrypt password hash: `scrypt$salt$hash`. */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('base64url')}$${scryptSync(password, salt, 32).toString('base64url')}`;
}

export function verifyPassword(password: string, stored: string | undefined): boolean {
  const [kind, salt, hash] = (stored ?? '').split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const got = scryptSync(password, Buffer.from(salt, 'base64url'), expected.length);
  return timingSafeEqual(got, expected);
}

/**
 * Self-contained signed tokens (jobs' run tokens, identity access tokens): `prefix` +
 * base64url(JSON payload) + "." + HMAC. Nothing is stored; the server re-checks the payload.
 */
export function signToken(box: SecretBox, prefix: string, payload: object): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${prefix}${body}.${box.sign(prefix, body)}`;
}

/** The payload of a signed token, or undefined when forged, truncated or of another kind. */
export function readSignedToken<T>(box: SecretBox, prefix: string, token: string): T | undefined {
  if (!token.startsWith(prefix)) return undefined;
  const [body, sig] = token.slice(prefix.length).split('.');
  if (!body || !sig) return undefined;
  const expected = Buffer.from(box.sign(prefix, body));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T;
  } catch {
    return undefined;
  }
}
