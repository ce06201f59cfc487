import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { HangarError } from '../domain/errors/hangar-error.js';
import { safeMode, validateManifest, type SnapshotManifest } from '../domain/snapshots/manifest.js';

type Entry = SnapshotManifest['entries'][number];

/**
 * Writes a snapshot into `dest` (the agent's job folder, `hangar job download`): validates again,
 * so a manifest the server should have refused is refused here too, then writes entry by entry.
 */
export async function materializeSnapshot(
  manifest: SnapshotManifest,
  dest: string,
  fetchBlob: (sha256: string) => Promise<Buffer>,
): Promise<void> {
  validateManifest(manifest, Number.MAX_SAFE_INTEGER);
  await writeSnapshotEntries(manifest, dest, fetchBlob);
}

/**
 * The writing alone, without the manifest checks (materializeSnapshot is the entry point; tests
 * call this to show the on-disk checks hold by themselves). Never follows a link already on disk:
 * each parent folder is created or checked with lstat, an existing link at an entry's path is
 * refused, files are created exclusively (O_EXCL does not follow links) and renamed into place.
 * Each blob's hash is checked; modes are made safe (0644 or 0755).
 */
export async function writeSnapshotEntries(
  manifest: SnapshotManifest,
  dest: string,
  fetchBlob: (sha256: string) => Promise<Buffer>,
): Promise<void> {
  const root = resolve(dest);
  mkdirSync(root, { recursive: true });
  for (const [i, entry] of manifest.entries.entries()) {
    const dir = realFolder(root, entry, i);
    const target = join(dir, baseName(entry.path));
    refuseExistingLink(target, entry, i);
    if (entry.kind === 'symlink') symlinkSync(entry.target, target);
    else writeFileEntry(dir, target, entry, await verifiedBlob(entry, fetchBlob));
  }
}

function baseName(path: string): string {
  return path.split('/').pop() ?? path;
}

function unsafe(entry: Entry, i: number, why: string): HangarError {
  return new HangarError(
    'UnsafeArchive',
    `Refusing to write '${entry.path}': ${why}; nothing is written outside the snapshot's folder.`,
    `entries[${i}].path`,
  );
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The entry's parent folder under `root`, each component created (0755) or lstat-checked to be a real folder. */
function realFolder(root: string, entry: Entry, i: number): string {
  let dir = root;
  const segs = entry.path.split('/').slice(0, -1);
  for (const [n, seg] of segs.entries()) {
    // Defensive: validation refuses these, but the writer must not rely on it.
    if (seg === '' || seg === '.' || seg === '..') throw unsafe(entry, i, `'${seg}' is not a folder name`);
    dir = join(dir, seg);
    const stat = lstatOrUndefined(dir);
    if (stat === undefined) mkdirSync(dir, { mode: 0o755 });
    else if (stat.isSymbolicLink())
      throw unsafe(entry, i, `'${segs.slice(0, n + 1).join('/')}' is a link on disk`);
    else if (!stat.isDirectory())
      throw unsafe(entry, i, `'${segs.slice(0, n + 1).join('/')}' is not a folder`);
  }
  return dir;
}

/** A link already at an entry's path would be replaced (or, for a later write, followed): refused. */
function refuseExistingLink(target: string, entry: Entry, i: number): void {
  if (lstatOrUndefined(target)?.isSymbolicLink()) throw unsafe(entry, i, 'a link is already there on disk');
}

async function verifiedBlob(
  entry: Extract<Entry, { kind: 'file' }>,
  fetchBlob: (sha256: string) => Promise<Buffer>,
): Promise<Buffer> {
  const bytes = await fetchBlob(entry.sha256);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== entry.sha256)
    throw new Error(`blob for ${entry.path} has sha256 ${actual}, expected ${entry.sha256}`);
  return bytes;
}

/** Temp file (exclusive create, random name) + fchmod + rename: atomic, and never through a link. */
function writeFileEntry(
  dir: string,
  target: string,
  entry: Extract<Entry, { kind: 'file' }>,
  bytes: Buffer,
): void {
  const temp = join(dir, `.${randomBytes(6).toString('hex')}.partial`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off);
    fchmodSync(fd, safeMode(entry.mode));
  } catch (e) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(temp, target);
}
