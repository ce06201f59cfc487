import type { SecretBox } from '../secrets/secret-box.js';

/**
 * Access tokens in Azure's form (JWTs) for clients that decode them: the Azure ML SDK reads `tid`
 * and checks `aud` of the tokens its credential returns. HS256, keyed by the server's secret box, so
 * only this server mints and accepts them; nothing is stored.
 */

/** The tenant id Hangar's tokens carry (`tid`): one fixed value, Hangar has no tenants. */
export const HANGAR_TENANT_ID = '00000000-0000-4000-8000-00000000a1a1';
const ISSUER = 'hangar';
const PURPOSE = 'jwt-access';

/** What an access token says: the user it was minted for, the audience it was asked for, expiry (epoch s). */
export interface AccessClaims {
  sub: string;
  name: string;
  aud: string;
  exp: number;
}

const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');

/** Whether a bearer token has a JWT's shape (three base64url parts): the others are Hangar's prefixed tokens. */
export function looksLikeJwt(token: string): boolean {
  return /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

/** The audience as Azure writes it: the resource or scope without `/.default` and a trailing slash. */
export function audienceOf(resource: string): string {
  return resource.replace(/\/\.default$/, '').replace(/\/+$/, '');
}

/** Mints an access token for a user, valid `seconds` from `nowMs`. */
export function mintAccessToken(
  box: SecretBox,
  user: { id: string; name: string },
  resource: string,
  nowMs: number,
  seconds: number,
): { token: string; expiresOn: number; audience: string } {
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + seconds;
  const audience = audienceOf(resource);
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({
    aud: audience,
    iss: ISSUER,
    iat,
    nbf: iat,
    exp,
    sub: user.id,
    oid: user.id,
    name: user.name,
    tid: HANGAR_TENANT_ID,
    ver: '1.0',
  })}`;
  return { token: `${input}.${box.sign(PURPOSE, input)}`, expiresOn: exp, audience };
}

/** The claims of a token this server minted and that has not expired; undefined otherwise. */
export function readAccessToken(box: SecretBox, token: string, nowMs: number): AccessClaims | undefined {
  if (!looksLikeJwt(token)) return undefined;
  const [head = '', body = '', sig = ''] = token.split('.');
  const expected = box.sign(PURPOSE, `${head}.${body}`);
  if (expected.length !== sig.length || !constantTimeEqual(expected, sig)) return undefined;
  try {
    const header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as { alg?: unknown };
    if (header.alg !== 'HS256') return undefined;
    const c = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<AccessClaims> & {
      iss?: unknown;
    };
    if (c.iss !== ISSUER || typeof c.sub !== 'string' || typeof c.exp !== 'number') return undefined;
    if (c.exp * 1000 <= nowMs) return undefined;
    return { sub: c.sub, name: String(c.name ?? ''), aud: String(c.aud ?? ''), exp: c.exp };
  } catch {
    return undefined;
  }
}

function constantTimeEqual(a: string, b: string): boolean {
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
