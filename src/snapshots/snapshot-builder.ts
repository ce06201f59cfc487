import { createHash } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { isIgnored, parseIgnoreFile, type IgnoreRule } from '../domain/snapshots/ignore-rules.js';
import { HashCache } from './hash-cache.js';
import {
  chainFindings,
  largestFiles,
  linkStaysInside,
  safeMode,
  totalBytes,
  type SnapshotManifest,
} from '../domain/snapshots/manifest.js';

/** What a snapshot of a folder holds and left out. */
export interface SnapshotSummary {
  fileCount: number;
  totalBytes: number;
  largest: { path: string; size: number }[];
  excluded: { path: string; by: string }[];
}

/** A built snapshot: the manifest, where each blob's bytes are on disk, and a summary. */
export interface BuiltSnapshot {
  manifest: SnapshotManifest;
  /** sha256 → an absolute path holding those bytes (identical files share one blob). */
  files: Map<string, string>;
  summary: SnapshotSummary;
  /**
   * Every file's hash came from the hash cache (the folder is as when last built): most likely
   * the server holds every blob already, so an upload may offer the manifest first.
   */
  fromCache?: boolean;
}

function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

function rulesOf(dir: string, rel: string): IgnoreRule[] {
  // As Azure ML: a folder's .amlignore wins over its .gitignore.
  for (const name of ['.amlignore', '.gitignore'] as const) {
    const file = join(dir, name);
    if (existsSync(file)) return parseIgnoreFile(readFileSync(file, 'utf8'), rel, name);
  }
  return [];
}

/**
 * Leaves out the links the server would refuse as a chain (`a/up -> ..` then `a/x -> up/..`).
 * Until none is left: dropping one link changes where the others resolve.
 */
function dropEscapingLinks(manifest: SnapshotManifest, excluded: SnapshotSummary['excluded']): void {
  for (let bad = chainFindings(manifest); bad.length > 0; bad = chainFindings(manifest)) {
    for (const f of bad) excluded.push({ path: manifest.entries[f.index]?.path ?? '', by: f.message });
    const dropped = new Set(bad.map((f) => f.index));
    manifest.entries = manifest.entries.filter((_, i) => !dropped.has(i));
  }
}

/** How to build a snapshot. */
export interface BuildOptions {
  /**
   * A hash cache file (see hashCacheFile): files whose size, mtime, ctime and inode are as when
   * last hashed are not read again, so an unchanged folder costs a walk, not a read.
   */
  hashCacheFile?: string;
}

/**
 * Walks a folder into a snapshot, honouring `.amlignore` then `.gitignore` in every folder
 * (`.git` always left out). Files are hashed as streams, so large files are never held whole.
 */
export async function buildSnapshot(root: string, options: BuildOptions = {}): Promise<BuiltSnapshot> {
  const cache = options.hashCacheFile ? HashCache.open(options.hashCacheFile, root) : undefined;
  const manifest: SnapshotManifest = { version: 1, entries: [] };
  const files = new Map<string, string>();
  const excluded: SnapshotSummary['excluded'] = [];
  const walk = async (dir: string, rel: string, inherited: IgnoreRule[]): Promise<void> => {
    const rules = [...inherited, ...rulesOf(dir, rel)];
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      const path = rel === '' ? name : `${rel}/${name}`;
      const stat = lstatSync(abs);
      if (name === '.git') {
        excluded.push({ path, by: '.git' });
        continue;
      }
      const verdict = isIgnored(rules, path, stat.isDirectory());
      if (verdict.ignored) {
        excluded.push({ path, by: `${verdict.rule?.source ?? 'ignore'} (${verdict.rule?.pattern ?? ''})` });
        continue;
      }
      if (stat.isDirectory()) await walk(abs, path, rules);
      else if (stat.isSymbolicLink()) {
        const target = readlinkSync(abs);
        if (linkStaysInside(path, target)) manifest.entries.push({ path, kind: 'symlink', target });
        else excluded.push({ path, by: `link to ${target} leaves the folder` });
      } else if (stat.isFile()) {
        let sha256 = cache?.lookup(path, stat);
        if (sha256 === undefined) {
          sha256 = await hashFile(abs);
          cache?.remember(path, stat, sha256);
        }
        files.set(sha256, abs);
        manifest.entries.push({ path, kind: 'file', sha256, size: stat.size, mode: safeMode(stat.mode) });
      }
    }
  };
  await walk(root, '', []);
  cache?.save();
  dropEscapingLinks(manifest, excluded);
  const fileCount = manifest.entries.filter((e) => e.kind === 'file').length;
  return {
    manifest,
    files,
    summary: { fileCount, totalBytes: totalBytes(manifest), largest: largestFiles(manifest, 5), excluded },
    ...(cache && cache.misses === 0 && cache.hits > 0 ? { fromCache: true } : {}),
  };
}

/** A snapshot of a single file (a uri_file input): one entry named after the file. */
export async function buildFileSnapshot(path: string): Promise<BuiltSnapshot> {
  const stat = lstatSync(path);
  const name =
    path
      .split('/')
      .filter((p) => p !== '')
      .pop() ?? 'file';
  const sha256 = await hashFile(path);
  const manifest: SnapshotManifest = {
    version: 1,
    entries: [{ path: name, kind: 'file', sha256, size: stat.size, mode: safeMode(stat.mode) }],
  };
  return {
    manifest,
    files: new Map([[sha256, path]]),
    summary: {
      fileCount: 1,
      totalBytes: stat.size,
      largest: [{ path: name, size: stat.size }],
      excluded: [],
    },
  };
}
