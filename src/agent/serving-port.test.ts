import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readServingPort } from './serving-port.js';

describe('readServingPort', () => {
  const dir = (): string => mkdtempSync(join(tmpdir(), 'serving-port-'));

  it('reads the port the scoring host wrote', () => {
    const d = dir();
    writeFileSync(join(d, '.port'), '43127\n');
    expect(readServingPort(d, '.port')).toBe(43127);
  });

  it('answers nothing yet while the file is missing, and for anything but a port number', () => {
    const d = dir();
    expect(readServingPort(d, '.port')).toBeUndefined();
    for (const text of ['', 'abc', '0', '65536', '-1', '80 81', '1e3', '123456789012345678']) {
      writeFileSync(join(d, '.port'), text);
      expect(readServingPort(d, '.port'), JSON.stringify(text)).toBeUndefined();
    }
  });

  it('does not follow a link a hostile job put in its place, nor read a FIFO', () => {
    const d = dir();
    const outside = join(dir(), 'secret');
    writeFileSync(outside, '8080');
    symlinkSync(outside, join(d, '.port'));
    expect(readServingPort(d, '.port')).toBeUndefined();
    const f = dir();
    execFileSync('mkfifo', [join(f, '.port')]);
    expect(readServingPort(f, '.port')).toBeUndefined();
    expect(readServingPort(d, '../secret')).toBeUndefined();
  });
});
