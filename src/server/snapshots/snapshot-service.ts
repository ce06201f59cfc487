import { join } from 'node:path';
import { HangarError } from '../../domain/errors/hangar-error.js';
import {
  canonicalManifest,
  snapshotIdOf,
  totalBytes,
  validateManifest,
  withSafeModes,
  type SnapshotManifest,
} from '../../domain/snapshots/manifest.js';
import type { ServiceContext } from '../services/service-context.js';
import { assertSha256, BlobStore } from './blob-store.js';

/**
 * Snapshots: immutable manifests over content-addressed blobs. A manifest is itself stored as a
 * blob, its id being the hash of its canonical form, so storing the same folder twice is a no-op.
 */
export class SnapshotService {
  readonly blobs: BlobStore;

  constructor(private readonly ctx: ServiceContext) {
    // A shared folder (storage.blobDir) when several replicas serve one database.
    this.blobs = new BlobStore(ctx.config.storage.blobDir ?? join(ctx.config.home, 'blobs'));
  }

  /** Which of these hashes the server does not hold yet. */
  missing(hashes: unknown): string[] {
    if (!Array.isArray(hashes))
      throw new HangarError('ValidationFailed', 'hashes: must be a list of sha256 strings.', 'hashes');
    return hashes.filter((h): h is string => {
      if (typeof h !== 'string')
        throw new HangarError('ValidationFailed', 'hashes: must be a list of sha256 strings.', 'hashes');
      assertSha256(h);
      if (!this.blobs.has(h)) return true;
      // The client will not upload it: gc must count its age from now (see BlobStore.touch).
      this.blobs.touch(h, this.ctx.clock.now());
      return false;
    });
  }

  /** Checks a manifest before its blobs are uploaded (safe paths, size limit), so a refused snapshot costs no upload. */
  validate(raw: unknown): { fileCount: number; totalBytes: number } {
    const manifest = validateManifest(raw, this.ctx.config.snapshotMaxBytes);
    return {
      fileCount: manifest.entries.filter((e) => e.kind === 'file').length,
      totalBytes: totalBytes(manifest),
    };
  }

  /**
   * Validates a manifest (safe paths and links, size limit, every blob present) and stores it with
   * safe modes (0644/0755: no setuid bit is ever stored), its id computed after that. The blobs'
   * age is renewed as the missing check does (a client may offer a manifest without asking first).
   */
  putManifest(raw: unknown): Promise<{ id: string; fileCount: number; totalBytes: number }> {
    const manifest = withSafeModes(validateManifest(raw, this.ctx.config.snapshotMaxBytes));
    const now = this.ctx.clock.now();
    const absent = [
      ...new Set(
        manifest.entries.flatMap((e) =>
          e.kind === 'file' && !this.blobs.renew(e.sha256, now) ? [e.sha256] : [],
        ),
      ),
    ];
    if (absent.length > 0) {
      throw new HangarError(
        'ValidationFailed',
        `The snapshot names ${absent.length} blob(s) that were not uploaded: ${absent.slice(0, 5).join(', ')}${absent.length > 5 ? ', …' : ''}.`,
        'entries',
      );
    }
    const text = canonicalManifest(manifest);
    const id = snapshotIdOf(manifest);
    this.blobs.put(id, Buffer.from(text));
    this.blobs.touch(id, this.ctx.clock.now());
    return Promise.resolve({
      id,
      fileCount: manifest.entries.filter((e) => e.kind === 'file').length,
      totalBytes: totalBytes(manifest),
    });
  }

  /** A stored manifest, modes made safe (manifests stored before modes were masked hold any); NotFound names the id. */
  getManifest(id: string): Promise<SnapshotManifest> {
    if (!/^[0-9a-f]{64}$/.test(id) || !this.blobs.has(id))
      return Promise.reject(
        new HangarError('NotFound', `Snapshot '${id}' does not exist; upload it first.`, 'snapshotId'),
      );
    return Promise.resolve(
      withSafeModes(JSON.parse(this.blobs.get(id).toString('utf8')) as SnapshotManifest),
    );
  }
}
