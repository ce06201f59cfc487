import { describe, expect, it } from 'vitest';
import type { SnapshotManifest } from './manifest.js';
import { singleFileName, subManifest } from './sub-manifest.js';

const h = (c: string) => c.repeat(64);
const m: SnapshotManifest = {
  version: 1,
  entries: [
    { path: 'model/weights.bin', kind: 'file', sha256: h('a'), size: 3, mode: 0o644 },
    { path: 'model/conf/c.yaml', kind: 'file', sha256: h('b'), size: 1, mode: 0o644 },
    { path: 'model/latest', kind: 'symlink', target: 'weights.bin' },
    { path: 'model/up', kind: 'symlink', target: '../metrics.json' },
    { path: 'metrics.json', kind: 'file', sha256: h('c'), size: 2, mode: 0o644 },
  ],
};

describe('subManifest', () => {
  it('re-roots a folder and drops links that would leave it', () => {
    expect(subManifest(m, 'model/')?.entries.map((e) => e.path)).toEqual([
      'weights.bin',
      'conf/c.yaml',
      'latest',
    ]);
  });
  it('makes a file a one-entry snapshot named after it', () => {
    const part = subManifest(m, 'model/conf/c.yaml');
    expect(part?.entries).toEqual([{ path: 'c.yaml', kind: 'file', sha256: h('b'), size: 1, mode: 0o644 }]);
    expect(part && singleFileName(part)).toBe('c.yaml');
  });
  it('answers the whole for an empty path and nothing for an absent one', () => {
    expect(subManifest(m, '')).toBe(m);
    expect(subManifest(m, 'nope')).toBeUndefined();
    expect(singleFileName(m)).toBeUndefined();
  });
});
