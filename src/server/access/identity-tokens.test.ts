import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecretBox } from '../secrets/secret-box.js';
import {
  audienceOf,
  HANGAR_TENANT_ID,
  looksLikeJwt,
  mintAccessToken,
  readAccessToken,
} from './identity-tokens.js';

const box = SecretBox.open(mkdtempSync(join(tmpdir(), 'hangar-jwt-')));
const other = SecretBox.open(mkdtempSync(join(tmpdir(), 'hangar-jwt-')));
const user = { id: 'u-1', name: 'alice' };
const now = Date.parse('2026-12-03T12:00:00Z');

const claimsOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;

describe('identity access tokens (JWT)', () => {
  it('carry the asked audience (without /.default or a trailing slash), tid and exp', () => {
    const { token, expiresOn, audience } = mintAccessToken(box, user, 'https://ml.azure.com/', now, 600);
    expect(looksLikeJwt(token)).toBe(true);
    expect(audience).toBe('https://ml.azure.com');
    expect(claimsOf(token)).toMatchObject({ aud: 'https://ml.azure.com', tid: HANGAR_TENANT_ID, sub: 'u-1' });
    expect(expiresOn).toBe(now / 1000 + 600);
    expect(audienceOf('https://management.azure.com/.default')).toBe('https://management.azure.com');
  });

  it('are accepted by the server that minted them until they expire', () => {
    const { token } = mintAccessToken(box, user, 'https://management.azure.com', now, 600);
    expect(readAccessToken(box, token, now + 1000)).toMatchObject({ sub: 'u-1', name: 'alice' });
    expect(readAccessToken(box, token, now + 600_000)).toBeUndefined();
  });

  it('are refused when forged, altered or minted by another server', () => {
    const { token } = mintAccessToken(box, user, 'https://management.azure.com', now, 600);
    const [h, , s] = token.split('.');
    const altered = `${h}.${Buffer.from(JSON.stringify({ ...claimsOf(token), sub: 'admin' })).toString('base64url')}.${s}`;
    expect(readAccessToken(box, altered, now)).toBeUndefined();
    expect(readAccessToken(other, token, now)).toBeUndefined();
    expect(readAccessToken(box, 'hgr_abc', now)).toBeUndefined();
    expect(looksLikeJwt('hgr_abc')).toBe(false);
  });
});
