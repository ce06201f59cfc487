import { createHash } from 'node:crypto';
import { HangarError, type Problem } from '../errors/hangar-error.js';
import { formatBytes } from './format-bytes.js';
import type { FileEntry, SnapshotManifest } from './manifest-types.js';

export type { FileEntry, SnapshotManifest, SymlinkEntry } from './manifest-types.js';

const sha256Pattern = /^[0-9a-f]{64}$/;

/** Why a relative path is unsafe, or undefined when it is fine. */
export function unsafePath(path: string): string | undefined {
  if (path === '' || path.includes('\0')) return 'is empty or contains NUL';
  if (path.includes('\\')) return 'contains a backslash';
  if (path.startsWith('/')) return 'is absolute';
  if (path.split('/').some((s) => s === '..')) return "contains '..'";
  if (path.split('/').some((s) => s === '' || s === '.')) return 'has empty or . segments';
  return undefined;
}

/** Whether a symlink at `path` pointing to `target` stays inside the snapshot root. */
export function linkStaysInside(path: string, target: string): boolean {
  if (target.startsWith('/') || target === '') return false;
  const parts = path.split('/').slice(0, -1);
  for (const seg of target.split('/')) {
    if (seg === '..') {
      if (parts.length === 0) return false;
      parts.pop();
    } else if (seg !== '.' && seg !== '') parts.push(seg);
  }
  return true;
}

/** Total bytes of the files of a manifest. */
export function totalBytes(m: SnapshotManifest): number {
  return m.entries.reduce((s, e) => s + (e.kind === 'file' ? e.size : 0), 0);
}

/** The largest files, for size errors and dry runs. */
export function largestFiles(m: SnapshotManifest, n = 10): { path: string; size: number }[] {
  return m.entries
    .filter((e): e is FileEntry => e.kind === 'file')
    .sort((a, b) => b.size - a.size)
    .slice(0, n)
    .map((e) => ({ path: e.path, size: e.size }));
}

function entryProblems(e: unknown, i: number, seen: Set<string>): Problem[] {
  const target = `entries[${i}]`;
  if (e === null || typeof e !== 'object') return [{ code: 'ValidationFailed', target, message: `${target}: must be an object` }];
  const entry = e as Record<string, unknown>;
  const path = typeof entry.path === 'string' ? entry.path : '';
  const problems: Problem[] = [];
  const bad = unsafePath(path);
  if (bad) problems.push({ code: 'UnsafeArchive', target: `${target}.path`, message: `path '${path}' ${bad}; snapshots hold relative paths inside their folder only` });
  if (seen.has(path)) problems.push({ code: 'UnsafeArchive', target: `${target}.path`, message: `path '${path}' appears twice` });
  seen.add(path);
  if (entry.kind === 'file') {
    if (typeof entry.sha256 !== 'string' || !sha256Pattern.test(entry.sha256)) problems.push({ code: 'ValidationFailed', target: `${target}.sha256`, message: `sha256 must be 64 lower-case hex digits` });
    if (!Number.isInteger(entry.size) || (entry.size as number) < 0) problems.push({ code: 'ValidationFailed', target: `${target}.size`, message: `size must be a non-negative integer` });
    if (!Number.isInteger(entry.mode)) problems.push({ code: 'ValidationFailed', target: `${target}.mode`, message: `mode must be an integer` });
  } else if (entry.kind === 'symlink') {
    if (typeof entry.target !== 'string' || !linkStaysInside(path, entry.target)) {
      problems.push({ code: 'UnsafeArchive', target: `${target}.target`, message: `link '${path}' → '${String(entry.target)}' escapes the snapshot` });
    }
  } else problems.push({ code: 'ValidationFailed', target: `${target}.kind`, message: `kind must be file or symlink, got ${JSON.stringify(entry.kind)}` });
  return problems;
}

/**
 * Checks a manifest before anything is stored or written: relative paths only (no absolute, no
 * `..`), no duplicates, links that stay inside, and the size limit (the error lists the largest files).
 */
export function validateManifest(raw: unknown, limitBytes: number): SnapshotManifest {
  const m = raw as Partial<SnapshotManifest> | null;
  if (!m || m.version !== 1 || !Array.isArray(m.entries)) throw new HangarError('ValidationFailed', 'A snapshot manifest is {version: 1, entries: [...]}.', 'manifest');
  const seen = new Set<string>();
  const problems = m.entries.flatMap((e, i) => entryProblems(e, i, seen));
  if (problems.length > 0) {
    const first = problems[0] as Problem;
    throw new HangarError(first.code === 'UnsafeArchive' ? 'UnsafeArchive' : 'ValidationFailed', `The snapshot was refused: ${problems.map((p) => p.message).join('; ')}.`, 'manifest', problems);
  }
  const manifest = m as SnapshotManifest;
  const total = totalBytes(manifest);
  if (total > limitBytes) {
    const top = largestFiles(manifest).map((f) => `${f.path} (${formatBytes(f.size)})`).join(', ');
    throw new HangarError('SnapshotTooLarge', `The snapshot is ${formatBytes(total)}, above the limit of ${formatBytes(limitBytes)}. Largest files: ${top}. Exclude them with .amlignore or .gitignore.`, 'code');
  }
  return manifest;
}

/** A manifest's id: the sha256 of its canonical JSON (entries sorted by path). */
export function canonicalManifest(m: SnapshotManifest): string {
  const entries = [...m.entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((e) => (e.kind === 'file' ? { path: e.path, kind: e.kind, sha256: e.sha256, size: e.size, mode: e.mode } : { path: e.path, kind: e.kind, target: e.target }));
  return JSON.stringify({ version: 1, entries });
}

/** The id of a manifest (stable for the same content). */
export function snapshotIdOf(m: SnapshotManifest): string {
  return createHash('sha256').update(canonicalManifest(m)).digest('hex');
}
