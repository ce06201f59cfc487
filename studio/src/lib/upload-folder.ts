import { isIgnored, parseIgnoreFile, type IgnoreRule } from '../../../src/domain/snapshots/ignore-rules.js';
import type { FileEntry } from '../../../src/domain/snapshots/manifest-types.js';
import { uploadManifest } from '../../../src/snapshots/snapshot-upload.js';

/** What an upload did (unchanged files are already on the server and are not sent again). */
export interface FolderUpload {
  snapshotId: string;
  files: number;
  uploaded: number;
  reused: number;
  excluded: string[];
}

interface Picked {
  path: string;
  file: File;
}

/** Paths inside the chosen folder (the browser prefixes them with the folder's own name). */
function relative(files: FileList): Picked[] {
  return [...files].map((file) => ({
    path: file.webkitRelativePath.split('/').slice(1).join('/') || file.name,
    file,
  }));
}

/** Each folder's .amlignore (else .gitignore), outer folders first, as the CLI applies them. */
async function rulesOf(picked: Picked[]): Promise<IgnoreRule[]> {
  const byDir = new Map<string, Picked>();
  for (const p of picked) {
    const name = p.path.split('/').pop();
    const dir = p.path.includes('/') ? p.path.slice(0, p.path.lastIndexOf('/')) : '';
    if (name === '.amlignore' || (name === '.gitignore' && !byDir.has(dir))) byDir.set(dir, p);
  }
  const dirs = [...byDir.keys()].sort((a, b) => a.split('/').length - b.split('/').length);
  const rules: IgnoreRule[] = [];
  for (const dir of dirs) {
    const p = byDir.get(dir) as Picked;
    rules.push(
      ...parseIgnoreFile(
        await p.file.text(),
        dir,
        p.path.endsWith('.amlignore') ? '.amlignore' : '.gitignore',
      ),
    );
  }
  return rules;
}

function excludedBy(rules: IgnoreRule[], path: string): boolean {
  if (path.split('/').includes('.git')) return true;
  const parts = path.split('/');
  for (let i = 1; i < parts.length; i++)
    if (isIgnored(rules, parts.slice(0, i).join('/'), true).ignored) return true;
  return isIgnored(rules, path, false).ignored;
}

async function sha256(file: File): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Uploads a chosen folder as a snapshot: hashes, sends only the blobs the server lacks, then the manifest. */
export async function uploadFolder(
  files: FileList,
  onProgress: (text: string) => void,
): Promise<FolderUpload> {
  const picked = relative(files);
  const rules = await rulesOf(picked);
  const kept = picked.filter((p) => !excludedBy(rules, p.path));
  const excluded = picked.filter((p) => !kept.includes(p)).map((p) => p.path);
  const entries: FileEntry[] = [];
  const bySha = new Map<string, File>();
  for (const [i, p] of kept.entries()) {
    onProgress(`hashing ${i + 1}/${kept.length}: ${p.path}`);
    const sha = await sha256(p.file);
    entries.push({
      path: p.path,
      kind: 'file',
      sha256: sha,
      size: p.file.size,
      mode: /\.(sh|py)$/.test(p.path) ? 0o755 : 0o644,
    });
    bySha.set(sha, p.file);
  }
  // Same origin: the session cookie authenticates the snapshot calls.
  const r = await uploadManifest(
    { url: '' },
    { version: 1, entries },
    (sha) => bySha.get(sha) as File,
    (done, total) => onProgress(`uploading ${done}/${total}`),
  );
  return {
    snapshotId: r.snapshotId,
    files: entries.length,
    uploaded: r.uploadedBlobs,
    reused: r.reusedBlobs,
    excluded,
  };
}
