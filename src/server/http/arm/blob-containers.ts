import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BlobStore } from '../../snapshots/blob-store.js';

/** One blob of the Blob-service subset: its bytes live in Hangar's content-addressed store under `sha256`. */
export interface BlobEntry {
  name: string;
  sha256: string;
  size: number;
  /** base64 MD5, as Azure's Content-MD5. */
  md5: string;
  contentType: string;
  metadata: Record<string, string>;
  lastModified: string;
  etag: string;
}

const enc = (s: string): string => Buffer.from(s).toString('base64url');
const dec = (s: string): string => Buffer.from(s, 'base64url').toString('utf8');

/**
 * Containers of the Blob-service subset the Azure ML SDK uploads code into: each blob is a small
 * JSON pointer (name, metadata, sha256) under HOME/azureml-blobs/<container>/, its bytes in the
 * content-addressed blob store (so code uploaded twice is stored once and snapshots reuse it).
 */
export class BlobContainers {
  constructor(
    private readonly root: string,
    private readonly blobs: BlobStore,
    private readonly now: () => Date,
  ) {}

  private dir(container: string): string {
    return join(this.root, enc(container));
  }

  private path(container: string, name: string): string {
    return join(this.dir(container), `${enc(name)}.json`);
  }

  get(container: string, name: string): BlobEntry | undefined {
    const p = this.path(container, name);
    return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as BlobEntry) : undefined;
  }

  bytes(entry: BlobEntry): Buffer {
    return this.blobs.get(entry.sha256);
  }

  put(
    container: string,
    name: string,
    bytes: Buffer,
    contentType: string,
    metadata: Record<string, string>,
  ): BlobEntry {
    const sha = createHash('sha256').update(bytes).digest('hex');
    this.blobs.put(sha, bytes);
    const entry: BlobEntry = {
      name,
      sha256: sha,
      size: bytes.length,
      md5: createHash('md5').update(bytes).digest('base64'),
      contentType,
      metadata,
      lastModified: this.now().toUTCString(),
      etag: `"0x${randomBytes(8).toString('hex').toUpperCase()}"`,
    };
    this.write(container, entry);
    return entry;
  }

  setMetadata(container: string, entry: BlobEntry, metadata: Record<string, string>): BlobEntry {
    const next = {
      ...entry,
      metadata,
      lastModified: this.now().toUTCString(),
      etag: `"0x${randomBytes(8).toString('hex').toUpperCase()}"`,
    };
    this.write(container, next);
    return next;
  }

  private write(container: string, entry: BlobEntry): void {
    mkdirSync(this.dir(container), { recursive: true });
    const p = this.path(container, entry.name);
    // Written aside, then renamed: a reader never sees half a pointer.
    writeFileSync(`${p}.tmp`, JSON.stringify(entry));
    renameSync(`${p}.tmp`, p);
  }

  private blockDir(container: string, name: string): string {
    return join(this.root, '_blocks', enc(container), createHash('sha256').update(name).digest('hex'));
  }

  stageBlock(container: string, name: string, blockId: string, bytes: Buffer): void {
    const dir = this.blockDir(container, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, enc(blockId)), bytes);
  }

  /** Commits staged blocks in order; undefined names a block that was never staged. */
  commitBlocks(
    container: string,
    name: string,
    ids: string[],
    contentType: string,
    metadata: Record<string, string>,
  ): BlobEntry | { missing: string } {
    const dir = this.blockDir(container, name);
    const parts: Buffer[] = [];
    for (const id of ids) {
      const p = join(dir, enc(id));
      if (!existsSync(p)) return { missing: id };
      parts.push(readFileSync(p));
    }
    const entry = this.put(container, name, Buffer.concat(parts), contentType, metadata);
    rmSync(dir, { recursive: true, force: true });
    return entry;
  }

  /** The content hash of every blob in every container (gc keeps them: the SDK reads them back by name). */
  referencedBlobs(): Set<string> {
    const out = new Set<string>();
    if (!existsSync(this.root)) return out;
    for (const dir of readdirSync(this.root)) {
      if (dir === '_blocks') continue;
      for (const e of this.list(dec(dir), '')) out.add(e.sha256);
    }
    return out;
  }

  /** Blobs whose names start with `prefix`, sorted by name. */
  list(container: string, prefix: string): BlobEntry[] {
    const dir = this.dir(container);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => dec(f.slice(0, -5)))
      .filter((n) => n.startsWith(prefix))
      .sort()
      .flatMap((n) => {
        const e = this.get(container, n);
        return e ? [e] : [];
      });
  }
}
