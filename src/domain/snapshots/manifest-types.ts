// The manifest's shape alone (no hashing, no node:crypto), so browser code can name it too.

/** One file of a snapshot: its bytes live in the blob store under their sha256. */
export interface FileEntry {
  path: string;
  kind: 'file';
  sha256: string;
  size: number;
  /** Unix permission bits (e.g. 0o755 for scripts). */
  mode: number;
}

/** A symbolic link that stays inside the snapshot. */
export interface SymlinkEntry {
  path: string;
  kind: 'symlink';
  target: string;
}

/** A snapshot: what a folder held, file by file (content-addressed, so unchanged files dedupe). */
export interface SnapshotManifest {
  version: 1;
  entries: (FileEntry | SymlinkEntry)[];
}
