import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { HangarError } from '../../domain/errors/hangar-error.js';
import { insufficientStorage, isDiskFull } from '../../domain/errors/storage-errors.js';

const shaPattern = /^[0-9a-f]{64}$/;

/** Checks a sha256 given in a path or body. */
export function assertSha256(sha: string): void {
  if (!shaPattern.test(sha))
    throw new HangarError(
      'ValidationFailed',
      `'${sha}' is not a sha256 (64 lower-case hex digits).`,
      'sha256',
    );
}

/**
 * A content-addressed store on disk: `<root>/ab/cdef…`. Writes go to a temp file, are verified
 * against their hash, then renamed into place, so a crash never leaves a half blob under a hash.
 */
export class BlobStore {
  constructor(private readonly root: string) {
    mkdirSync(root, { recursive: true });
  }

  private path(sha: string): string {
    return join(this.root, sha.slice(0, 2), sha.slice(2));
  }

  has(sha: string): boolean {
    return shaPattern.test(sha) && existsSync(this.path(sha));
  }

  size(sha: string): number {
    return statSync(this.path(sha)).size;
  }

  /** Stores bytes under their hash; refuses them when they do not match `sha`. */
  put(sha: string, bytes: Buffer): void {
    assertSha256(sha);
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha)
      throw new HangarError(
        'HashMismatch',
        `The uploaded bytes have sha256 ${actual}, not ${sha}; the blob was not stored.`,
        'sha256',
      );
    if (this.has(sha)) return;
    const target = this.path(sha);
    const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(temp, bytes);
      renameSync(temp, target);
    } catch (err) {
      // A full disk is said as such (507, naming the blob), not as an internal error.
      if (isDiskFull(err)) throw insufficientStorage(`blob ${sha} (${bytes.length} bytes)`, err, 'sha256');
      throw err;
    } finally {
      rmSync(temp, { force: true });
    }
  }

  /**
   * Marks a blob as just used (its mtime, which gc reads as its age): a client that finds a blob
   * already here does not upload it again, so gc must not take it away before the snapshot that
   * names it is recorded.
   */
  touch(sha: string, at: Date): void {
    if (!this.has(sha)) return;
    try {
      utimesSync(this.path(sha), at, at);
    } catch {
      /* gone meanwhile: the client uploads it again */
    }
  }

  /**
   * Renews a blob's age as touch does, answering whether it is held: one call per blob, so a
   * manifest's blobs are checked and renewed together when it is stored.
   */
  renew(sha: string, at: Date): boolean {
    if (!shaPattern.test(sha)) return false;
    try {
      utimesSync(this.path(sha), at, at);
      return true;
    } catch {
      return false;
    }
  }

  /** Every blob held, with its size and last write or use (mtime); temp files of writes under way are skipped. */
  list(): { sha: string; size: number; mtimeMs: number }[] {
    const out: { sha: string; size: number; mtimeMs: number }[] = [];
    for (const dir of readdirSync(this.root)) {
      if (!/^[0-9a-f]{2}$/.test(dir)) continue;
      for (const rest of readdirSync(join(this.root, dir))) {
        const sha = `${dir}${rest}`;
        if (!shaPattern.test(sha)) continue;
        try {
          const st = statSync(join(this.root, dir, rest));
          out.push({ sha, size: st.size, mtimeMs: st.mtimeMs });
        } catch {
          /* deleted meanwhile */
        }
      }
    }
    return out;
  }

  /** Deletes a blob (gc only); answers whether it was there. */
  delete(sha: string): boolean {
    assertSha256(sha);
    if (!this.has(sha)) return false;
    rmSync(this.path(sha), { force: true });
    return true;
  }

  get(sha: string): Buffer {
    assertSha256(sha);
    if (!this.has(sha)) throw new HangarError('NotFound', `No blob with sha256 ${sha}.`, 'sha256');
    return readFileSync(this.path(sha));
  }
}
