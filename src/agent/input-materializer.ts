import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  createWriteStream,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { JobInputDelivery } from '../domain/nodes/agent-protocol.js';
import type { SnapshotManifest } from '../domain/snapshots/manifest.js';
import { materializeSnapshot } from '../snapshots/snapshot-materializer.js';

/** A folder or file of the node made visible at `dest` inside the job's folder, without a copy. */
export interface InputBind {
  src: string;
  dest: string;
  readOnly: boolean;
}

/** What materializing inputs needs from the agent. */
export interface InputFetcher {
  /** The agent's work folder: its `cache/` keeps mounted snapshots and downloaded URLs. */
  workDir: string;
  fetchManifest: (snapshotId: string) => Promise<SnapshotManifest>;
  fetchBlob: (sha256: string) => Promise<Buffer>;
  log: (line: string) => void;
}

/** Where an input's files go: its folder (`inputs/<name>`), also for a uri_file placed inside it. */
function targetFolder(codeDir: string, path: string): string {
  const parts = path.split('/').filter((p) => p !== '');
  return join(codeDir, ...(parts.length > 2 ? parts.slice(0, -1) : parts));
}

function inside(codeDir: string, path: string, name: string): string {
  const abs = resolve(codeDir, path);
  if (!abs.startsWith(`${resolve(codeDir)}${sep}`))
    throw new Error(`inputs.${name}: the place ${path} is outside the job's folder`);
  return abs;
}

/**
 * Puts every input where the command expects it and answers what must be bound into the job's
 * sandbox: `download` copies (snapshots fetched blob by blob, datastore paths copied, URLs from
 * the node's cache), `ro_mount` binds the node's cached snapshot, the cached URL file or the
 * datastore path read-only, `rw_mount` binds a datastore path writable. A bind's place exists
 * (an empty folder or file) so the sandbox can mount over it.
 */
export async function materializeInputs(
  inputs: JobInputDelivery[],
  codeDir: string,
  f: InputFetcher,
): Promise<InputBind[]> {
  const binds: InputBind[] = [];
  for (const input of inputs) {
    const mode = input.mode ?? 'download';
    const dest = inside(codeDir, input.path, input.name);
    if (input.snapshotId) {
      const folder = targetFolder(codeDir, input.path);
      if (mode === 'download') {
        await materializeSnapshot(await f.fetchManifest(input.snapshotId), folder, f.fetchBlob);
        continue;
      }
      const cached = await cachedSnapshot(f, input.snapshotId);
      mkdirSync(folder, { recursive: true });
      binds.push({ src: cached, dest: folder, readOnly: true });
    } else if (input.hostPath) {
      const src = input.hostPath;
      if (!existsSync(src))
        throw new Error(
          `inputs.${input.name}: the datastore path ${src} does not exist on this node; mount the datastore's folder here (same path on every node) or choose a compute that has it`,
        );
      const isDir = statSync(src).isDirectory();
      if (mode === 'download') {
        mkdirSync(dirname(dest), { recursive: true });
        cpSync(src, dest, { recursive: true, dereference: true });
        continue;
      }
      placeholder(dest, isDir);
      binds.push({ src, dest, readOnly: mode === 'ro_mount' });
    } else if (input.url) {
      const cached = await cachedUrl(f, input.url, basename(dest));
      if (mode === 'download') {
        mkdirSync(dirname(dest), { recursive: true });
        copyFileSync(cached, dest);
        continue;
      }
      placeholder(dest, false);
      binds.push({ src: cached, dest, readOnly: true });
    } else throw new Error(`inputs.${input.name}: the server named no source for this input`);
  }
  return binds;
}

function placeholder(dest: string, isDir: boolean): void {
  mkdirSync(isDir ? dest : dirname(dest), { recursive: true });
  if (!isDir) writeFileSync(dest, '');
}

/**
 * Without a sandbox (the local target, or an operator's insecure choice) binds become links to
 * the sources; a cached snapshot or URL is read-only on disk, a datastore path is what it is.
 */
export function linkBinds(binds: InputBind[]): void {
  for (const b of binds) {
    rmSync(b.dest, { recursive: true, force: true });
    symlinkSync(b.src, b.dest);
  }
}

/** Removes write permission from everything under `path` (the cache is shared by jobs). */
function makeReadOnly(path: string): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) for (const e of readdirSync(path)) makeReadOnly(join(path, e));
  chmodSync(path, st.mode & 0o555);
}

const inFlight = new Map<string, Promise<string>>();

/** Runs `make` once per key at a time in this agent (two jobs on one node share the work). */
function once(key: string, make: () => Promise<string>): Promise<string> {
  const running = inFlight.get(key);
  if (running) return running;
  const p = make().finally(() => inFlight.delete(key));
  inFlight.set(key, p);
  return p;
}

/** A snapshot materialized once per node under cache/snapshots/<id> (read-only), for ro_mount. */
function cachedSnapshot(f: InputFetcher, snapshotId: string): Promise<string> {
  if (!/^[0-9a-f]{64}$/.test(snapshotId)) throw new Error(`'${snapshotId}' is not a snapshot id`);
  const dir = join(f.workDir, 'cache', 'snapshots', snapshotId);
  return once(dir, async () => {
    if (existsSync(dir)) return dir;
    const temp = join(f.workDir, 'cache', 'snapshots', `.${snapshotId}.${randomBytes(4).toString('hex')}`);
    await materializeSnapshot(await f.fetchManifest(snapshotId), temp, f.fetchBlob);
    makeReadOnly(temp);
    try {
      renameSync(temp, dir);
      f.log(`snapshot ${snapshotId} cached for read-only mounts`);
    } catch {
      // Another agent on this node cached it first: theirs is the same content.
      chmodSync(temp, 0o755);
      rmSync(temp, { recursive: true, force: true });
    }
    return dir;
  });
}

interface UrlMeta {
  url: string;
  etag?: string;
  lastModified?: string;
}

/**
 * An http(s) file in the node's cache (cache/urls/<sha256 of the URL>/<file>), fetched again only
 * when the server says it changed: the request carries the cached ETag / Last-Modified and a 304
 * keeps the copy. A server that gives neither validator is asked every time.
 */
export function cachedUrl(f: InputFetcher, url: string, fileName: string): Promise<string> {
  const dir = join(f.workDir, 'cache', 'urls', createHash('sha256').update(url).digest('hex'));
  return once(dir, async () => {
    const file = join(dir, 'content');
    const metaFile = join(dir, 'meta.json');
    const meta: UrlMeta | undefined =
      existsSync(file) && existsSync(metaFile)
        ? (JSON.parse(readFileSync(metaFile, 'utf8')) as UrlMeta)
        : undefined;
    const headers: Record<string, string> = {};
    if (meta?.etag) headers['if-none-match'] = meta.etag;
    if (meta?.lastModified) headers['if-modified-since'] = meta.lastModified;
    let res: Response;
    try {
      res = await fetch(url, { headers, redirect: 'follow' });
    } catch (err) {
      throw new Error(`could not download ${url}: ${(err as Error).message}`);
    }
    const named = join(dir, 'files', fileName);
    if (res.status === 304 && meta) {
      f.log(`${url}: not modified; using the node's cached copy`);
      return linkedName(file, named);
    }
    if (!res.ok || !res.body) throw new Error(`could not download ${url}: the server answered ${res.status}`);
    mkdirSync(dir, { recursive: true });
    const temp = join(dir, `.content.${randomBytes(4).toString('hex')}`);
    await pipeline(Readable.fromWeb(res.body), createWriteStream(temp));
    chmodSync(temp, 0o444);
    renameSync(temp, file);
    const next: UrlMeta = { url };
    const etag = res.headers.get('etag');
    const lastModified = res.headers.get('last-modified');
    if (etag) next.etag = etag;
    if (lastModified) next.lastModified = lastModified;
    writeFileSync(metaFile, JSON.stringify(next));
    f.log(`${url}: downloaded into the node's cache`);
    return linkedName(file, named);
  });
}

/** The cached content under the file name the job sees (a hard link: same bytes, no copy). */
function linkedName(file: string, named: string): string {
  if (existsSync(named) && statSync(named).ino === statSync(file).ino) return named;
  rmSync(named, { force: true });
  mkdirSync(dirname(named), { recursive: true });
  try {
    linkSync(file, named);
  } catch {
    copyFileSync(file, named);
    chmodSync(named, 0o444);
  }
  return named;
}
