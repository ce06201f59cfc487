import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** One remembered hash: the file's stat as it was hashed (as git's index keeps it). */
type Row = [size: number, mtimeMs: number, ctimeMs: number, ino: number, sha256: string];

interface CacheFile {
  version: 1;
  /** The folder the paths are relative to. */
  root: string;
  /** When the hashes were read (ms): a file changed within the same timestamp tick cannot be told apart. */
  hashedAt: number;
  files: Record<string, Row>;
}

/**
 * A folder's file hashes from its last snapshot, keyed by relative path and checked against size,
 * mtime, ctime and inode, so an unchanged folder is walked but not read again. A file whose
 * mtime is within 50 ms of when it was hashed is hashed again (git's "racily clean" entries):
 * a write in the same timestamp tick would otherwise go unseen. Kept in one JSON file per folder.
 */
export class HashCache {
  private readonly old: Record<string, Row>;
  private readonly oldHashedAt: number;
  private readonly next: Record<string, Row> = {};
  private readonly startedAt = Date.now();
  hits = 0;
  misses = 0;

  private constructor(
    private readonly file: string,
    private readonly root: string,
    loaded: CacheFile | undefined,
  ) {
    this.old = loaded?.root === root ? loaded.files : {};
    this.oldHashedAt = loaded?.hashedAt ?? 0;
  }

  /** Opens the cache of `root` kept in `file` (an unreadable or foreign cache counts as empty). */
  static open(file: string, root: string): HashCache {
    let loaded: CacheFile | undefined;
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as CacheFile;
      if (parsed.version === 1 && typeof parsed.files === 'object') loaded = parsed;
    } catch {
      loaded = undefined;
    }
    return new HashCache(file, resolve(root), loaded);
  }

  /** The remembered hash of `path` when its stat is unchanged and not racily clean. */
  lookup(path: string, st: Stats): string | undefined {
    const row = this.old[path];
    const fresh =
      row !== undefined &&
      row[0] === st.size &&
      row[1] === st.mtimeMs &&
      row[2] === st.ctimeMs &&
      row[3] === st.ino &&
      st.mtimeMs < this.oldHashedAt - 50;
    if (fresh) {
      this.hits++;
      this.next[path] = row;
      return row[4];
    }
    this.misses++;
    return undefined;
  }

  /** Remembers a hash just computed. */
  remember(path: string, st: Stats, sha256: string): void {
    this.next[path] = [st.size, st.mtimeMs, st.ctimeMs, st.ino, sha256];
  }

  /** Every file of this walk was remembered, and no remembered file is gone: the cache file would not change. */
  get unchanged(): boolean {
    return this.misses === 0 && this.hits === Object.keys(this.old).length;
  }

  /**
   * Writes the files seen in this walk (atomically: temp file, then rename); a failure only loses
   * the cache. An unchanged walk leaves the file as it is (its hashedAt still holds for every row).
   */
  save(): void {
    if (this.unchanged) return;
    const data: CacheFile = { version: 1, root: this.root, hashedAt: this.startedAt, files: this.next };
    const temp = `${this.file}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
      writeFileSync(temp, JSON.stringify(data), { mode: 0o600 });
      renameSync(temp, this.file);
    } catch {
      rmSync(temp, { force: true });
    }
  }
}

/** Where the CLI keeps a folder's hash cache: `<hangar home>/hash-cache/<sha256 of the folder's path>.json`. */
export function hashCacheFile(hangarHome: string, root: string): string {
  const key = createHash('sha256').update(resolve(root)).digest('hex').slice(0, 32);
  return join(hangarHome, 'hash-cache', `${key}.json`);
}
