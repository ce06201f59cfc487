import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { snapshotIdOf, validateManifest, type SnapshotManifest } from '../domain/snapshots/manifest.js';
import { buildSnapshot } from './snapshot-builder.js';
import { materializeSnapshot, writeSnapshotEntries } from './snapshot-materializer.js';

const bytes = Buffer.from('payload\n');
const sha = createHash('sha256').update(bytes).digest('hex');
const fetchBlob = (want: string) =>
  want === sha ? Promise.resolve(bytes) : Promise.reject(new Error(`no blob ${want}`));
const file = (path: string, mode = 0o644) => ({
  path,
  kind: 'file' as const,
  sha256: sha,
  size: bytes.length,
  mode,
});
const link = (path: string, target: string) => ({ path, kind: 'symlink' as const, target });

/** `a/up -> ..`, `a/up/e1 -> ..`, … `e6 -> ..`, then a file below: followed, it lands 6 folders above the root. */
function chainManifest(): SnapshotManifest {
  const entries: SnapshotManifest['entries'] = [link('a/up', '..')];
  let dir = 'a/up';
  for (let i = 1; i <= 6; i++) entries.push(link((dir = `${dir}/e${i}`), '..'));
  entries.push(file(`${dir}/PWNED`));
  return { version: 1, entries };
}

/** A base folder with the destination 6 levels down, so an escape would land in `base` itself. */
function deepDest(): { base: string; dest: string } {
  const base = mkdtempSync(join(tmpdir(), 'hangar-materialize-'));
  const dest = join(base, '1', '2', '3', '4', '5', 'dest');
  mkdirSync(dest, { recursive: true });
  return { base, dest };
}

/** Every path under `base` that is not under `dest` and is not a folder on the way to it. */
function writtenOutside(base: string, dest: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const abs = join(dir, name);
      const rel = relative(dest, abs);
      if (rel === '' || !rel.startsWith('..')) continue;
      if (lstatSync(abs).isDirectory() && relative(abs, dest).split('/')[0] !== '..') walk(abs);
      else out.push(relative(base, abs));
    }
  };
  walk(base);
  return out;
}

async function refusal(p: Promise<void>): Promise<{ code?: string; target?: string; message: string }> {
  return p.then(
    () => {
      throw new Error('the snapshot was written');
    },
    (e: Error & { code?: string; target?: string }) => e,
  );
}

describe('materializeSnapshot never writes outside its folder', () => {
  it('refuses the chain of links (validated again before writing) and writes nothing outside', async () => {
    const { base, dest } = deepDest();
    expect((await refusal(materializeSnapshot(chainManifest(), dest, fetchBlob))).code).toBe('UnsafeArchive');
    expect(writtenOutside(base, dest)).toEqual([]);
  });

  it('with validation bypassed, the on-disk checks alone stop the chain at the first link it would follow', async () => {
    const { base, dest } = deepDest();
    const err = await refusal(writeSnapshotEntries(chainManifest(), dest, fetchBlob));
    expect(err).toMatchObject({ code: 'UnsafeArchive', target: 'entries[1].path' });
    expect(err.message).toContain("'a/up' is a link on disk");
    expect(writtenOutside(base, dest)).toEqual([]);
    expect(existsSync(join(base, 'PWNED'))).toBe(false);
  });

  it('refuses a parent folder that is already a link on disk pointing outside', async () => {
    const { base, dest } = deepDest();
    const outside = join(base, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, join(dest, 'a'));
    const err = await refusal(
      materializeSnapshot({ version: 1, entries: [file('a/x.py')] }, dest, fetchBlob),
    );
    expect(err).toMatchObject({ code: 'UnsafeArchive', target: 'entries[0].path' });
    expect(readdirSync(outside)).toEqual([]);
  });

  it('refuses to replace a link already on disk at an entry path, leaving its target untouched', async () => {
    const { base, dest } = deepDest();
    const victim = join(base, 'victim.txt');
    writeFileSync(victim, 'keep\n');
    symlinkSync(victim, join(dest, 'x.py'));
    const err = await refusal(materializeSnapshot({ version: 1, entries: [file('x.py')] }, dest, fetchBlob));
    expect(err).toMatchObject({ code: 'UnsafeArchive', target: 'entries[0].path' });
    expect(readlinkSync(join(dest, 'x.py'))).toBe(victim);
    expect(readFileSync(victim, 'utf8')).toBe('keep\n');
  });

  it('still writes a legitimate snapshot: nested files, links beside them, hashes checked', async () => {
    const { dest } = deepDest();
    await materializeSnapshot(
      { version: 1, entries: [file('c/data.txt'), link('a/b', '../c'), link('x', 'a/b')] },
      dest,
      fetchBlob,
    );
    expect(readFileSync(join(dest, 'x', 'data.txt'), 'utf8')).toBe('payload\n');
    expect(lstatSync(join(dest, 'a', 'b')).isSymbolicLink()).toBe(true);
    expect(readdirSync(join(dest, 'c'))).toEqual(['data.txt']);
    const wrong = { version: 1 as const, entries: [{ ...file('y'), sha256: 'b'.repeat(64) }] };
    await expect(
      materializeSnapshot(wrong, dest, (s) => (s === 'b'.repeat(64) ? Promise.resolve(bytes) : fetchBlob(s))),
    ).rejects.toThrow(/expected b{64}/);
  });
});

describe('materializeSnapshot modes', () => {
  it('writes 0755 or 0644 by the owner execute bit: no setuid, setgid or sticky bit, nothing group-writable', async () => {
    const { dest } = deepDest();
    const modes: Record<string, number> = {
      suid: 0o4777,
      sgid: 0o2775,
      group: 0o640,
      owner: 0o700,
      wide: 0o666,
    };
    await materializeSnapshot(
      { version: 1, entries: Object.entries(modes).map(([name, mode]) => file(`bin/${name}`, mode)) },
      dest,
      fetchBlob,
    );
    const written = Object.fromEntries(
      Object.keys(modes).map((name) => [name, statSync(join(dest, 'bin', name)).mode & 0o7777]),
    );
    expect(written).toEqual({ suid: 0o755, sgid: 0o755, group: 0o644, owner: 0o755, wide: 0o644 });
  });
});

describe('buildSnapshot agrees with the checks', () => {
  it('leaves out a link that escapes through another, stores safe modes, and a written snapshot rebuilds to the same id', async () => {
    const src = mkdtempSync(join(tmpdir(), 'hangar-build-'));
    writeFileSync(join(src, 'run.sh'), bytes);
    chmodSync(join(src, 'run.sh'), 0o4755);
    writeFileSync(join(src, 'data.txt'), bytes);
    chmodSync(join(src, 'data.txt'), 0o664);
    mkdirSync(join(src, 'a'));
    symlinkSync('..', join(src, 'a', 'up'));
    symlinkSync('up/..', join(src, 'a', 'x'));
    symlinkSync('a', join(src, 'lib'));
    const built = await buildSnapshot(src);
    const entries = Object.fromEntries(
      built.manifest.entries.map((e) => [e.path, e.kind === 'file' ? e.mode : e.target]),
    );
    expect(entries).toEqual({ 'a/up': '..', 'data.txt': 0o644, lib: 'a', 'run.sh': 0o755 });
    expect(built.summary.excluded).toContainEqual({
      path: 'a/x',
      by: "link 'a/x' → 'up/..' leaves the snapshot through link 'a/up'",
    });
    expect(() => validateManifest(built.manifest, Number.MAX_SAFE_INTEGER)).not.toThrow();
    const { dest } = deepDest();
    await materializeSnapshot(built.manifest, dest, fetchBlob);
    expect(snapshotIdOf((await buildSnapshot(dest)).manifest)).toBe(snapshotIdOf(built.manifest));
  });
});
