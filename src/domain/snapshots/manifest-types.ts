// The manifest's shape alone (no hashing, no node:crypto), so browser code can name it too.

/** One file of a snapshot: its bytes live in the blob store under their sha256. */
export interface FileEntry {
  path: string;
  kind: 'file';
  sha256: string;
  size: number;
  /** Unix permission bits: 0o644, or 0o755 when the owner may execute; other modes (to 0o7777) are accepted and masked to these. */
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
