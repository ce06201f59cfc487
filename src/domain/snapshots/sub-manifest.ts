import { chainFindings, linkStaysInside, type SnapshotManifest } from './manifest.js';

/**
 * The part of a snapshot under `subPath` ('' = all): a folder's entries re-rooted at it, or a
 * file as a one-entry snapshot named after it. Links that would lead out of the part are left
 * out (the part is a snapshot of its own and must stay inside itself). Answers undefined when
 * nothing is there. No blob is copied: the part names the same blobs.
 */
export function subManifest(manifest: SnapshotManifest, subPath: string): SnapshotManifest | undefined {
  const sub = subPath.replace(/^\/+|\/+$/g, '');
  if (sub === '') return manifest;
  const file = manifest.entries.find((e) => e.path === sub && e.kind === 'file');
  if (file) return { version: 1, entries: [{ ...file, path: sub.split('/').pop() ?? sub }] };
  const prefix = `${sub}/`;
  const part: SnapshotManifest = {
    version: 1,
    entries: manifest.entries
      .filter((e) => e.path.startsWith(prefix))
      .map((e) => ({ ...e, path: e.path.slice(prefix.length) }))
      .filter((e) => e.kind !== 'symlink' || linkStaysInside(e.path, e.target)),
  };
  for (let bad = chainFindings(part); bad.length > 0; bad = chainFindings(part)) {
    const dropped = new Set(bad.map((f) => f.index));
    part.entries = part.entries.filter((_, i) => !dropped.has(i));
  }
  return part.entries.length > 0 ? part : undefined;
}

/** The one file of a snapshot that holds exactly one entry, a file (a uri_file's content). */
export function singleFileName(manifest: SnapshotManifest): string | undefined {
  const [only, ...rest] = manifest.entries;
  return only && rest.length === 0 && only.kind === 'file' && !only.path.includes('/')
    ? only.path
    : undefined;
}
