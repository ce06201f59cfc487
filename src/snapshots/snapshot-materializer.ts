import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { validateManifest, type SnapshotManifest } from '../domain/snapshots/manifest.js';

/**
 * Writes a snapshot into `dest`: validates again (a bad manifest never writes outside `dest`),
 * checks each blob's hash, writes atomically (temp file + rename), keeps permission bits.
 */
export async function materializeSnapshot(manifest: SnapshotManifest, dest: string, fetchBlob: (sha256: string) => Promise<Buffer>): Promise<void> {
  validateManifest(manifest, Number.MAX_SAFE_INTEGER);
  const root = resolve(dest);
  mkdirSync(root, { recursive: true });
  for (const entry of manifest.entries) {
    const target = resolve(root, entry.path);
    if (relative(root, target).startsWith('..')) throw new Error(`refusing to write ${entry.path} outside ${root}`);
    mkdirSync(dirname(target), { recursive: true });
    if (entry.kind === 'symlink') {
      symlinkSync(entry.target, target);
      continue;
    }
    const bytes = await fetchBlob(entry.sha256);
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== entry.sha256) throw new Error(`blob for ${entry.path} has sha256 ${actual}, expected ${entry.sha256}`);
    const temp = join(dirname(target), `.${process.pid}.partial`);
    writeFileSync(temp, bytes, { mode: entry.mode });
    chmodSync(temp, entry.mode);
    renameSync(temp, target);
  }
}
