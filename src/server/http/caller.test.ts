import { describe, expect, it } from 'vitest';
import { bearerOf, sessionCookieOf } from './caller.js';

describe('session cookie and bearer', () => {
  it('reads the session cookie among others, percent-decoded', () => {
    expect(sessionCookieOf('theme=dark; hangar_session=hgs_a%2Db; x=1')).toBe('hgs_a-b');
    expect(sessionCookieOf('theme=dark')).toBeUndefined();
    expect(sessionCookieOf('hangar_session=')).toBeUndefined();
    expect(sessionCookieOf(undefined)).toBeUndefined();
  });

  it('keeps a malformed escape as sent instead of throwing (it matches no session: 401, not 500)', () => {
    expect(sessionCookieOf('hangar_session=%ff')).toBe('%ff');
    expect(sessionCookieOf('hangar_session=%E2%82')).toBe('%E2%82');
    expect(bearerOf(undefined, 'hangar_session=%zz')).toBe('%zz');
  });

  it('prefers the Authorization header', () => {
    expect(bearerOf('Bearer hgr_x', 'hangar_session=hgs_y')).toBe('hgr_x');
    expect(bearerOf('Basic abc', 'hangar_session=hgs_y')).toBe('hgs_y');
  });
});
