import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { SecretBox } from '../secrets/secret-box.js';

/** A new random token with a prefix saying what it is (hgr_ API, hgs_ session). */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** What the store keeps of a token: its sha256. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** scrypt off the event loop (libuv's thread pool): hashing never stalls other requests. */
const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, length: number) => Promise<Buffer>;

/** Stands in for a user without a password (or an unknown one), so such attempts cost the same time. */
const NO_PASSWORD = `scrypt$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(32).toString('base64url')}`;

/** scrypt password hash: `scrypt$salt$hash`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('base64url')}$${(await scryptAsync(password, salt, 32)).toString('base64url')}`;
}

/** Whether `password` matches a stored hash (false for none); always does the work of one scrypt. */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const [kind, salt, hash] = (stored ?? '').split('$');
  const usable = kind === 'scrypt' && !!salt && !!hash;
  const [, s, h] = (usable ? (stored ?? '') : NO_PASSWORD).split('$');
  const expected = Buffer.from(h ?? '', 'base64url');
  if (expected.length === 0) return false;
  const got = await scryptAsync(password, Buffer.from(s ?? '', 'base64url'), expected.length);
  return usable && timingSafeEqual(got, expected);
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

/**
 * Runs at most `slots` password hashes at once; the rest wait their turn. scrypt is CPU- and
 * memory-heavy: leaving a core free keeps the event loop (health checks, every other call) quick
 * while sign-ins queue, and a flood of guesses cannot use the whole machine.
 */
export class HashSlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly slots: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.slots) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running += 1;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
