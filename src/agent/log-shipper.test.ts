import { closeSync, mkdirSync, mkdtempSync, readSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentClient } from './agent-client.js';
import { LogShipper, openInside } from './log-shipper.js';

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

describe('LogShipper.unsent (what a final report carries)', () => {
  /** Never called: unsent() only reads. */
  const client = {} as AgentClient;

  it('answers the bytes not sent yet, "too long" past the limit, nothing for an absent or empty file', () => {
    const path = join(root, 'std_log.txt');
    const shipper = new LogShipper(client, 'default~j', 1, 'user_logs/std_log.txt', path);
    expect(shipper.unsent(100)).toBeUndefined();
    writeFileSync(path, '');
    expect(shipper.unsent(100)).toBeUndefined();
    writeFileSync(path, 'last lines\n');
    expect(shipper.unsent(100)).toEqual({
      file: 'user_logs/std_log.txt',
      offset: 0,
      data: Buffer.from('last lines\n').toString('base64'),
    });
    expect(shipper.unsent(11)).toMatchObject({ offset: 0 });
    expect(shipper.unsent(10)).toBe('too long');
  });

  it('reads a job-owned process log only where it is, never through a link', () => {
    mkdirSync(join(root, 'job', 'code'), { recursive: true });
    writeFileSync(join(root, 'secret-2.txt'), 'agent only');
    symlinkSync(join(root, 'secret-2.txt'), join(root, 'job', 'code', 'std_log_process_0.txt'));
    const linked = new LogShipper(
      client,
      'default~j',
      1,
      'user_logs/std_log_process_0.txt',
      'code/std_log_process_0.txt',
      20,
      join(root, 'job'),
    );
    expect(linked.unsent(100)).toBeUndefined();
  });
});
