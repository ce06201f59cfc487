import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertHomeWritable, HomeNotWritable, startupStorageFailure } from './home-check.js';

const dir = mkdtempSync(join(tmpdir(), 'hangar-home-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('home check', () => {
  it('passes for a writable folder and for one still to be made under a writable parent', () => {
    expect(() => assertHomeWritable(dir)).not.toThrow();
    expect(() => assertHomeWritable(join(dir, 'a', 'b'))).not.toThrow();
  });

  it('says in one line which path could not be written and why', () => {
    const readOnly = Object.assign(new Error("EROFS: read-only file system, open '/srv/h/secret.key'"), {
      code: 'EROFS',
      path: '/srv/h/secret.key',
    });
    const line = startupStorageFailure(readOnly, '/srv/h') ?? '';
    expect(line).toContain('/srv/h/secret.key');
    expect(line).toContain('EROFS: read-only file system');
    expect(line).not.toContain('\n');
    expect(
      startupStorageFailure(
        Object.assign(new Error('unable to open database file'), { code: 'SQLITE_CANTOPEN' }),
        '/srv/h',
      ),
    ).toContain('/srv/h/hangar.db');
    expect(startupStorageFailure(new HomeNotWritable('cannot start: x'), '/srv/h')).toBe('cannot start: x');
    expect(startupStorageFailure(new Error('something else'), '/srv/h')).toBeUndefined();
  });
});
