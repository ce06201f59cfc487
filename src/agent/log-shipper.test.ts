import { closeSync, mkdirSync, mkdtempSync, readSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openInside } from './log-shipper.js';

const root = mkdtempSync(join(tmpdir(), 'open-inside-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const read = (fd: number | undefined): string | undefined => {
  if (fd === undefined) return undefined;
  const buf = Buffer.alloc(100);
  const n = readSync(fd, buf, 0, 100, 0);
  closeSync(fd);
  return buf.subarray(0, n).toString();
};

describe('openInside (a job-owned log file)', () => {
  it('opens a plain file under the root and nothing a link leads to', () => {
    const secret = join(root, 'secret.txt');
    writeFileSync(secret, 'agent only');
    mkdirSync(join(root, 'code', '.hangar', 'logs'), { recursive: true });
    writeFileSync(join(root, 'code', '.hangar', 'logs', 'std_log_process_0.txt'), 'hello');
    expect(read(openInside(root, 'code/.hangar/logs/std_log_process_0.txt'))).toBe('hello');

    // The job swaps its log for a link, or a folder on the way for a link: neither is followed.
    symlinkSync(secret, join(root, 'code', '.hangar', 'logs', 'std_log_process_1.txt'));
    expect(openInside(root, 'code/.hangar/logs/std_log_process_1.txt')).toBeUndefined();
    mkdirSync(join(root, 'elsewhere'));
    writeFileSync(join(root, 'elsewhere', 'std_log_process_0.txt'), 'not the log');
    symlinkSync(join(root, 'elsewhere'), join(root, 'code', 'linked'));
    expect(openInside(root, 'code/linked/std_log_process_0.txt')).toBeUndefined();
    expect(openInside(root, 'code/../secret.txt')).toBeUndefined();
    expect(openInside(root, 'code/.hangar/logs')).toBeUndefined();
    expect(openInside(root, 'code/.hangar/logs/absent.txt')).toBeUndefined();
  });
});
