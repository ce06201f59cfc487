import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HangarError } from '../../domain/errors/hangar-error.js';
import { LogStore, type LogAppend } from './log-store.js';

const dirs: string[] = [];
function store(): LogStore {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-logs-'));
  dirs.push(dir);
  return new LogStore(dir);
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('LogStore', () => {
  it('appends at offsets, trims retried overlaps, and reads back exactly once', () => {
    const logs = store();
    expect(logs.append('ws~j', 1, 'user_logs/std_log.txt', 0, Buffer.from('hello '))).toBe(6);
    expect(logs.append('ws~j', 1, 'user_logs/std_log.txt', 0, Buffer.from('hello world'))).toBe(11);
    expect(logs.append('ws~j', 1, 'user_logs/std_log.txt', 6, Buffer.from('world'))).toBe(11);
    expect(logs.read('ws~j', 1, 'user_logs/std_log.txt').toString()).toBe('hello world');
    expect(logs.read('ws~j', 1, 'user_logs/std_log.txt', 6).toString()).toBe('world');
  });

  it('refuses a gap and names the length to resend from', () => {
    const logs = store();
    logs.append('ws~j', 1, 'system_logs/agent.txt', 0, Buffer.from('abc'));
    try {
      logs.append('ws~j', 1, 'system_logs/agent.txt', 10, Buffer.from('x'));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(HangarError);
      expect((err as HangarError).code).toBe('LogGap');
      expect((err as HangarError).message).toContain('resend from 3');
    }
  });

  it('keeps attempts and files apart and feeds subscribers only new bytes', () => {
    const logs = store();
    const seen: LogAppend[] = [];
    const off = logs.subscribe('ws~j', (a) => seen.push(a));
    logs.append('ws~j', 1, 'user_logs/std_log.txt', 0, Buffer.from('one'));
    logs.append('ws~j', 2, 'user_logs/std_log.txt', 0, Buffer.from('two'));
    logs.append('ws~j', 1, 'user_logs/std_log.txt', 0, Buffer.from('one'));
    off();
    logs.append('ws~j', 1, 'user_logs/std_log.txt', 3, Buffer.from('!'));
    expect(seen.map((s) => [s.attempt, s.offset, s.data.toString()])).toEqual([
      [1, 0, 'one'],
      [2, 0, 'two'],
    ]);
    expect(logs.length('ws~j', 1, 'user_logs/std_log.txt')).toBe(4);
    expect(logs.length('ws~other', 1, 'user_logs/std_log.txt')).toBe(0);
  });

  it("keeps per-process logs and lists an attempt's files; any other name never becomes a path", () => {
    const logs = store();
    logs.append('ws~d', 1, 'user_logs/std_log_process_10.txt', 0, Buffer.from('ten\n'));
    logs.append('ws~d', 1, 'user_logs/std_log_process_2.txt', 0, Buffer.from('two\n'));
    logs.append('ws~d', 1, 'user_logs/std_log.txt', 0, Buffer.from('all\n'));
    expect(logs.read('ws~d', 1, 'user_logs/std_log_process_2.txt').toString()).toBe('two\n');
    expect(logs.files('ws~d', 1)).toEqual([
      'user_logs/std_log.txt',
      'user_logs/std_log_process_2.txt',
      'user_logs/std_log_process_10.txt',
    ]);
    for (const bad of ['user_logs/../../x', 'user_logs/std_log_process_x.txt', '/etc/passwd'])
      expect(() => logs.read('ws~d', 1, bad)).toThrow(/user_logs\/std_log_process_<rank>\.txt/);
  });
});
