import { describe, expect, it } from 'vitest';
import { HangarError } from '../errors/hangar-error.js';
import { safeMode, validateManifest, withSafeModes, type SnapshotManifest } from './manifest.js';

const sha = 'a'.repeat(64);
const file = (path: string, mode = 0o644) => ({ path, kind: 'file' as const, sha256: sha, size: 1, mode });
const link = (path: string, target: string) => ({ path, kind: 'symlink' as const, target });

/** `a/up -> ..`, `a/up/e1 -> ..`, … `a/up/e1/…/e6 -> ..`, then a file below them all: each entry alone stays inside. */
function chainManifest(depth = 6): SnapshotManifest {
  const entries: SnapshotManifest['entries'] = [link('a/up', '..')];
  let dir = 'a/up';
  for (let i = 1; i <= depth; i++) {
    dir = `${dir}/e${i}`;
    entries.push(link(dir, '..'));
  }
  entries.push(file(`${dir}/PWNED`));
  return { version: 1, entries };
}

function refusal(raw: unknown): HangarError {
  try {
    validateManifest(raw, Number.MAX_SAFE_INTEGER);
  } catch (e) {
    if (e instanceof HangarError) return e;
    throw e;
  }
  throw new Error('the manifest was accepted');
}

describe('validateManifest: links taken together', () => {
  it('refuses a chain of links, naming the first entry that passes through a link', () => {
    const err = refusal(chainManifest());
    expect(err.code).toBe('UnsafeArchive');
    expect(err.target).toBe('entries[1].path');
    expect(err.message).toContain("path 'a/up/e1' passes through link 'a/up'");
    const pwned = err.details.find((d) => d.target === 'entries[7].path');
    expect(pwned?.message).toContain("path 'a/up/e1/e2/e3/e4/e5/e6/PWNED' passes through link 'a/up'");
  });

  it('refuses a file under a link even when the link itself stays inside', () => {
    const err = refusal({ version: 1, entries: [link('lib', 'vendor'), file('lib/x.py')] });
    expect(err).toMatchObject({ code: 'UnsafeArchive', target: 'entries[1].path' });
  });

  it('refuses a link whose target leaves the root through another link', () => {
    const err = refusal({ version: 1, entries: [link('a/up', '..'), link('a/x', 'up/..')] });
    expect(err).toMatchObject({ code: 'UnsafeArchive', target: 'entries[1].path' });
    expect(err.message).toContain("link 'a/x' → 'up/..' leaves the snapshot through link 'a/up'");
  });

  it('refuses links that go round in a loop', () => {
    const err = refusal({ version: 1, entries: [link('p', 'q'), link('q', 'p')] });
    expect(err.code).toBe('UnsafeArchive');
    expect(err.message).toContain('(a loop)');
  });

  it('keeps legitimate links: relative, to a link, and a link to a folder beside files', () => {
    const m = {
      version: 1,
      entries: [
        file('c/data.txt'),
        link('a/b', '../c'),
        link('x', 'a/b'),
        link('y', 'x/data.txt'),
        link('a/self', '.'),
      ],
    };
    expect(validateManifest(m, Number.MAX_SAFE_INTEGER).entries).toHaveLength(5);
  });

  it('still refuses a single link that escapes by itself', () => {
    expect(refusal({ version: 1, entries: [link('link', '../../etc')] })).toMatchObject({
      code: 'UnsafeArchive',
      target: 'entries[0].target',
    });
  });
});

describe('modes', () => {
  it('accepts modes up to 0o7777 and refuses others as ValidationFailed', () => {
    expect(() =>
      validateManifest({ version: 1, entries: [file('s', 0o4777)] }, Number.MAX_SAFE_INTEGER),
    ).not.toThrow();
    for (const mode of [0o10000, -1, 1.5])
      expect(refusal({ version: 1, entries: [file('s', mode)] })).toMatchObject({
        code: 'ValidationFailed',
        target: 'entries[0].mode',
      });
  });

  it('masks to 0644 or 0755 by the owner execute bit, dropping setuid, setgid and sticky', () => {
    expect([0o4777, 0o2755, 0o1777, 0o640, 0o700, 0o666, 0o100, 0].map(safeMode)).toEqual([
      0o755, 0o755, 0o755, 0o644, 0o755, 0o644, 0o755, 0o644,
    ]);
    const m = withSafeModes({ version: 1, entries: [file('s', 0o4777), link('l', 's')] });
    expect(m.entries).toEqual([file('s', 0o755), link('l', 's')]);
  });
});
