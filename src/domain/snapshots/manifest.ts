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

/** At most this many links are followed resolving one target (as Linux's MAXSYMLINKS). */
const maxLinkHops = 40;

/**
 * Where `target`, read from inside the folder `from`, lands once the manifest's own links are
 * followed as the kernel would: the real path's segments, or why it cannot be followed safely
 * (it leaves the root, naming the link it went through, or loops).
 */
export function resolveThroughLinks(
  links: ReadonlyMap<string, string>,
  from: string[],
  target: string,
): { parts: string[] } | { problem: string } {
  if (target.startsWith('/')) return { problem: 'is absolute' };
  const parts = [...from];
  const pending = target.split('/');
  let via: string | undefined;
  for (let hops = 0, seg = pending.shift(); seg !== undefined; seg = pending.shift()) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length === 0)
        return { problem: via ? `leaves the snapshot through link '${via}'` : 'leaves the snapshot' };
      parts.pop();
      continue;
    }
    parts.push(seg);
    const link = links.get(parts.join('/'));
    if (link === undefined) continue;
    if (++hops > maxLinkHops) return { problem: `goes through more than ${maxLinkHops} links (a loop)` };
    if (link.startsWith('/')) return { problem: `leaves the snapshot through link '${parts.join('/')}'` };
    via = parts.join('/');
    parts.pop();
    pending.unshift(...link.split('/'));
  }
  return { parts };
}

/** The first link of `links` that `path`'s parent folders pass through, if any. */
export function linkAbove(links: ReadonlyMap<string, string>, path: string): string | undefined {
  const segs = path.split('/');
  for (let i = 1; i < segs.length; i++) {
    const prefix = segs.slice(0, i).join('/');
    if (links.has(prefix)) return prefix;
  }
  return undefined;
}

/** The symlink entries of a manifest, path → target. */
export function linksOf(m: SnapshotManifest): Map<string, string> {
  return new Map(m.entries.flatMap((e) => (e.kind === 'symlink' ? [[e.path, e.target] as const] : [])));
}

/**
 * What the entries do together that none does alone: an entry under a link of the manifest (a
 * writer would follow it), or a link whose target leaves the root once the links before it are
 * followed (`a/up -> ..` then `a/x -> up/..`).
 */
export function chainFindings(m: SnapshotManifest): { index: number; message: string }[] {
  const links = linksOf(m);
  return m.entries.flatMap((e, index) => {
    const above = linkAbove(links, e.path);
    if (above !== undefined) return [{ index, message: `path '${e.path}' passes through link '${above}'` }];
    if (e.kind !== 'symlink') return [];
    const landed = resolveThroughLinks(links, e.path.split('/').slice(0, -1), e.target);
    return 'problem' in landed
      ? [{ index, message: `link '${e.path}' → '${e.target}' ${landed.problem}` }]
      : [];
  });
}

function chainProblems(m: SnapshotManifest): Problem[] {
  return chainFindings(m).map((f) => ({
    code: 'UnsafeArchive',
    target: `entries[${f.index}].path`,
    message: f.message,
  }));
}

/** Whether a manifest mode is acceptable: permission bits, special bits allowed (masked on write). */
function validMode(mode: unknown): boolean {
  return Number.isInteger(mode) && (mode as number) >= 0 && (mode as number) <= 0o7777;
}

/**
 * The only modes a snapshot holds and writes: 0755 when the owner may execute, else 0644. No
 * setuid, setgid or sticky bit, and no group- or world-writable file, ever comes out of a snapshot.
 */
export function safeMode(mode: number): number {
  return mode & 0o100 ? 0o755 : 0o644;
}

/** The manifest with every file's mode made safe (what the server stores and hands back). */
export function withSafeModes(m: SnapshotManifest): SnapshotManifest {
  return {
    version: 1,
    entries: m.entries.map((e) => (e.kind === 'file' ? { ...e, mode: safeMode(e.mode) } : e)),
  };
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
  if (e === null || typeof e !== 'object')
    return [{ code: 'ValidationFailed', target, message: `${target}: must be an object` }];
  const entry = e as Record<string, unknown>;
  const path = typeof entry.path === 'string' ? entry.path : '';
  const problems: Problem[] = [];
  const bad = unsafePath(path);
  if (bad)
    problems.push({
      code: 'UnsafeArchive',
      target: `${target}.path`,
      message: `path '${path}' ${bad}; snapshots hold relative paths inside their folder only`,
    });
  if (seen.has(path))
    problems.push({
      code: 'UnsafeArchive',
      target: `${target}.path`,
      message: `path '${path}' appears twice`,
    });
  seen.add(path);
  if (entry.kind === 'file') {
    if (typeof entry.sha256 !== 'string' || !sha256Pattern.test(entry.sha256))
      problems.push({
        code: 'ValidationFailed',
        target: `${target}.sha256`,
        message: `sha256 must be 64 lower-case hex digits`,
      });
    if (!Number.isInteger(entry.size) || (entry.size as number) < 0)
      problems.push({
        code: 'ValidationFailed',
        target: `${target}.size`,
        message: `size must be a non-negative integer`,
      });
    if (!validMode(entry.mode))
      problems.push({
        code: 'ValidationFailed',
        target: `${target}.mode`,
        message: `mode must be an integer from 0 to 0o7777 (permission bits)`,
      });
  } else if (entry.kind === 'symlink') {
    if (typeof entry.target !== 'string' || !linkStaysInside(path, entry.target)) {
      problems.push({
        code: 'UnsafeArchive',
        target: `${target}.target`,
        message: `link '${path}' → '${String(entry.target)}' escapes the snapshot`,
      });
    }
  } else
    problems.push({
      code: 'ValidationFailed',
      target: `${target}.kind`,
      message: `kind must be file or symlink, got ${JSON.stringify(entry.kind)}`,
    });
  return problems;
}

/** Throws the problems found, if any: the first few in the message, the entry of the first as the target, all in details. */
function refuse(problems: Problem[]): void {
  const first = problems[0];
  if (first === undefined) return;
  const code = problems.some((p) => p.code === 'UnsafeArchive') ? 'UnsafeArchive' : 'ValidationFailed';
  const named = problems.find((p) => p.code === code) ?? first;
  const shown = problems
    .slice(0, 3)
    .map((p) => p.message)
    .join('; ');
  const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : '';
  const why =
    code === 'UnsafeArchive'
      ? " A snapshot's entries sit in real folders inside it, and its links may not lead out of it."
      : '';
  throw new HangarError(code, `The snapshot was refused: ${shown}${more}.${why}`, named.target, problems);
}

/**
 * Checks a manifest before anything is stored or written: relative paths only (no absolute, no
 * `..`), no duplicates, modes in range, no entry under a link, links that stay inside once the
 * other links are followed, and the size limit (the error lists the largest files).
 */
export function validateManifest(raw: unknown, limitBytes: number): SnapshotManifest {
  const m = raw as Partial<SnapshotManifest> | null;
  if (!m || m.version !== 1 || !Array.isArray(m.entries))
    throw new HangarError(
      'ValidationFailed',
      'A snapshot manifest is {version: 1, entries: [...]}.',
      'manifest',
    );
  const seen = new Set<string>();
  refuse(m.entries.flatMap((e, i) => entryProblems(e, i, seen)));
  const manifest = m as SnapshotManifest;
  // Only once each entry is well formed: the chain checks read every path and target.
  refuse(chainProblems(manifest));
  const total = totalBytes(manifest);
  if (total > limitBytes) {
    const top = largestFiles(manifest)
      .map((f) => `${f.path} (${formatBytes(f.size)})`)
      .join(', ');
    throw new HangarError(
      'SnapshotTooLarge',
      `The snapshot is ${formatBytes(total)}, above the limit of ${formatBytes(limitBytes)}. Largest files: ${top}. Exclude them with .amlignore or .gitignore.`,
      'code',
    );
  }
  return manifest;
}

/** A manifest's id: the sha256 of its canonical JSON (entries sorted by path). */
export function canonicalManifest(m: SnapshotManifest): string {
  const entries = [...m.entries]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((e) =>
      e.kind === 'file'
        ? { path: e.path, kind: e.kind, sha256: e.sha256, size: e.size, mode: e.mode }
        : { path: e.path, kind: e.kind, target: e.target },
    );
  return JSON.stringify({ version: 1, entries });
}

/** The id of a manifest (stable for the same content). */
export function snapshotIdOf(m: SnapshotManifest): string {
  return createHash('sha256').update(canonicalManifest(m)).digest('hex');
}
