import { lstatSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSnapshot } from './snapshot-builder.js';
import { hashCacheFile, HashCache } from './hash-cache.js';

const old = new Date(Date.now() - 60_000);

describe('hash cache', () => {
  it('reads an unchanged file once, and again when its content or stat changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hc-'));
    const cacheFile = hashCacheFile(mkdtempSync(join(tmpdir(), 'home-')), dir);
    for (const n of ['a', 'b']) {
      writeFileSync(join(dir, n), `content ${n}`);
      utimesSync(join(dir, n), old, old);
    }
    const first = await buildSnapshot(dir, { hashCacheFile: cacheFile });
    const second = await buildSnapshot(dir, { hashCacheFile: cacheFile });
    expect(second.manifest).toEqual(first.manifest);
    const a = first.manifest.entries.find((e) => e.path === 'a');
    expect(HashCache.open(cacheFile, dir).lookup('a', lstatSync(join(dir, 'a')))).toBe(
      a?.kind === 'file' ? a.sha256 : 'missing',
    );
    // Same size, same mtime put back: the ctime still changes, so the new content is seen.
    writeFileSync(join(dir, 'a'), 'content A');
    utimesSync(join(dir, 'a'), old, old);
    const third = await buildSnapshot(dir, { hashCacheFile: cacheFile });
    expect(third.manifest.entries[0]).not.toEqual(first.manifest.entries[0]);
    expect(third.manifest.entries[1]).toEqual(first.manifest.entries[1]);
  });

  it('does not trust a file written in the same moment it was hashed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hc-'));
    const cacheFile = hashCacheFile(mkdtempSync(join(tmpdir(), 'home-')), dir);
    writeFileSync(join(dir, 'fresh'), 'x');
    await buildSnapshot(dir, { hashCacheFile: cacheFile });
    expect(HashCache.open(cacheFile, dir).lookup('fresh', lstatSync(join(dir, 'fresh')))).toBeUndefined();
  });

  it('re-reads a file rewritten with the same size when its mtime moves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hc-'));
    const cacheFile = hashCacheFile(mkdtempSync(join(tmpdir(), 'home-')), dir);
    writeFileSync(join(dir, 'a'), 'one');
    utimesSync(join(dir, 'a'), old, old);
    const first = await buildSnapshot(dir, { hashCacheFile: cacheFile });
    // The mtime alone (size, ctime and inode as remembered) is enough to read it again.
    const st = lstatSync(join(dir, 'a'));
    expect(HashCache.open(cacheFile, dir).lookup('a', st)).toBeDefined();
    const moved = Object.assign(Object.create(Object.getPrototypeOf(st) as object) as typeof st, st, {
      mtimeMs: st.mtimeMs + 1000,
    });
    expect(HashCache.open(cacheFile, dir).lookup('a', moved)).toBeUndefined();
    writeFileSync(join(dir, 'a'), 'two');
    const later = new Date(old.getTime() + 1000);
    utimesSync(join(dir, 'a'), later, later);
    const cache = HashCache.open(cacheFile, dir);
    expect(cache.lookup('a', lstatSync(join(dir, 'a')))).toBeUndefined();
    const second = await buildSnapshot(dir, { hashCacheFile: cacheFile });
    expect(second.manifest.entries[0]).not.toEqual(first.manifest.entries[0]);
    expect(second.fromCache).toBeUndefined();
  });

  it('says when every hash came from the cache, and leaves the cache file alone then', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hc-'));
    const cacheFile = hashCacheFile(mkdtempSync(join(tmpdir(), 'home-')), dir);
    for (const n of ['a', 'b']) {
      writeFileSync(join(dir, n), `content ${n}`);
      utimesSync(join(dir, n), old, old);
    }
    expect((await buildSnapshot(dir, { hashCacheFile: cacheFile })).fromCache).toBeUndefined();
    const written = readFileSync(cacheFile, 'utf8');
    const at = new Date(Date.now() - 10_000);
    utimesSync(cacheFile, at, at);
    expect((await buildSnapshot(dir, { hashCacheFile: cacheFile })).fromCache).toBe(true);
    expect(Math.round(statSync(cacheFile).mtimeMs)).toBe(at.getTime());
    // A file gone: every hash still from the cache, but the cache forgets it.
    rmSync(join(dir, 'b'));
    expect((await buildSnapshot(dir, { hashCacheFile: cacheFile })).fromCache).toBe(true);
    expect(readFileSync(cacheFile, 'utf8')).not.toBe(written);
    expect(HashCache.open(cacheFile, dir).lookup('b', lstatSync(join(dir, 'a')))).toBeUndefined();
  });
});
