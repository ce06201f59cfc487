import { describe, expect, it } from 'vitest';
import { HangarError } from '../../domain/errors/hangar-error.js';
import { knownError, rawErrorResponse } from './transport-errors.js';

const errno = (code: string, extra: Record<string, unknown> = {}): Error =>
  Object.assign(new Error(code), { code, ...extra });

describe('knownError', () => {
  it('turns a full disk into 507 InsufficientStorage naming the path or the database', () => {
    const file = knownError(errno('ENOSPC', { path: '/data/blobs/ab/cd.tmp' }));
    expect(file?.code).toBe('InsufficientStorage');
    expect(file?.status).toBe(507);
    expect(file?.message).toContain('/data/blobs/ab/cd.tmp');
    expect(knownError(errno('EDQUOT'))?.message).toContain('quota');
    expect(knownError(errno('SQLITE_FULL'))?.message).toContain('hangar.db');
  });

  it('turns a malformed escape into 400, keeps catalogue errors, and leaves the unknown alone', () => {
    expect(knownError(new URIError('URI malformed'))?.code).toBe('MalformedRequest');
    const own = new HangarError('NotFound', 'x');
    expect(knownError(own)).toBe(own);
    expect(knownError(new TypeError('bug'))).toBeUndefined();
    expect(knownError(errno('EACCES'))).toBeUndefined();
  });
});

describe('rawErrorResponse', () => {
  it('writes a complete HTTP answer in the one error shape', () => {
    const raw = rawErrorResponse(new HangarError('RequestHeaderTooLarge', 'too big', '(headers)'));
    const [head, body] = raw.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(head).toContain('Content-Type: application/json');
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(body ?? '')}`);
    expect(JSON.parse(body ?? '')).toEqual({
      error: { code: 'RequestHeaderTooLarge', message: 'too big', target: '(headers)' },
    });
  });
});
