import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePathProbes, probePathsScript } from './path-probe.js';

describe('probing paths on a machine', () => {
  it('tells folders, files, absent and unreadable paths apart, in the order asked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-probe-'));
    mkdirSync(join(dir, 'folder'));
    writeFileSync(join(dir, 'file'), 'x');
    const paths = [join(dir, 'folder'), join(dir, 'file'), join(dir, 'none'), join(dir, 'with space')];
    // The script runs as `sh -c SCRIPT sh PATHS…` on the machine; here, on this one.
    const out = execFileSync('sh', ['-c', probePathsScript, 'sh', ...paths], { encoding: 'utf8' });
    expect(parsePathProbes(paths, out)).toEqual([
      { path: paths[0], kind: 'folder', writable: true },
      { path: paths[1], kind: 'file', writable: true },
      { path: paths[2], kind: 'absent' },
      { path: paths[3], kind: 'absent' },
    ]);
  });
  it('reads read-only and unreadable answers, and a short answer as absent', () => {
    expect(parsePathProbes(['/a', '/b', '/c'], 'folder ro\nunreadable\n')).toEqual([
      { path: '/a', kind: 'folder', writable: false },
      { path: '/b', kind: 'unreadable' },
      { path: '/c', kind: 'absent' },
    ]);
  });
});
