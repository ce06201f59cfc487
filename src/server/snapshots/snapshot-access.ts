import type { Principal } from '../../domain/access/authorize.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { SnapshotManifest } from '../../domain/snapshots/manifest-types.js';
import { snapshotIdsOf } from '../../domain/snapshots/snapshot-refs.js';
import { actionPrefix } from '../http/route-def.js';
import type { Services } from '../services/services.js';
import { assertSha256 } from './blob-store.js';

const jobRead = `${actionPrefix}workspaces/jobs/read`;
const snapshotId = /^[0-9a-f]{64}$/;
/** Which workspaces' jobs name a snapshot is found by a scan; a job download asks once per file, so answers are kept briefly. */
const refsTtlMs = 30_000;
const cacheLimit = 2_000;

function notReadable(what: string): HangarError {
  // The same answer whether it does not exist or the caller may not read it: existence does not leak.
  return new HangarError(
    'NotFound',
    `${what} was not found among what you may read: the code, inputs, outputs and checkpoints of jobs in workspaces where you may read jobs (a node: those of its own jobs).`,
    'id',
  );
}

/**
 * Who may read a snapshot or a blob: a user or identity whose roles allow reading jobs in a
 * workspace where a job names the snapshot (code, inputs, outputs, checkpoint; see
 * snapshotIdsOf), or at `/` (every job); a node when one of its own jobs names it. A blob is read
 * through a snapshot that holds it. Uploads are not affected: anyone with snapshots/write stores
 * blobs and manifests.
 */
export class SnapshotReads {
  private readonly refs = new Map<string, { until: number; workspaces: string[] }>();
  /** File hashes of each manifest: manifests are immutable (their id is their hash), so these never go stale. */
  private readonly files = new Map<string, Set<string>>();

  constructor(private readonly services: Pick<Services, 'ctx' | 'access' | 'snapshots'>) {}

  /** A snapshot manifest the caller may read; NotFound otherwise. */
  async manifest(caller: Principal, id: string): Promise<SnapshotManifest> {
    if (!(await this.readable(caller, id))) throw notReadable(`Snapshot '${id}'`);
    return this.services.snapshots.getManifest(id);
  }

  /**
   * A blob read through `snapshot` (the manifest it belongs to, or that manifest itself). Nodes may
   * leave `snapshot` out: their own jobs' snapshots are few and are searched.
   */
  async blob(caller: Principal, sha: string, snapshot: string | undefined): Promise<Buffer> {
    assertSha256(sha);
    if (snapshot === undefined && (await this.readsEveryJob(caller)))
      return this.services.snapshots.blobs.get(sha);
    let candidates: string[];
    if (snapshot !== undefined) candidates = [snapshot];
    else if (caller.kind === 'node') candidates = await this.nodeSnapshots(caller);
    else
      throw new HangarError(
        'ValidationFailed',
        `Name the snapshot the blob belongs to: GET /api/blobs/${sha}?snapshot={snapshotId}. Blobs are read through a snapshot of a job you may read.`,
        'snapshot',
      );
    for (const id of candidates) {
      if ((await this.readable(caller, id)) && (await this.holds(id, sha)))
        return this.services.snapshots.blobs.get(sha);
    }
    throw notReadable(`Blob ${sha}${snapshot !== undefined ? ` in snapshot '${snapshot}'` : ''}`);
  }

  /** The rule itself: one of the caller's jobs (node), or a job it may read (user, identity), names the snapshot. */
  private async readable(caller: Principal, id: string): Promise<boolean> {
    if (!snapshotId.test(id)) return false;
    if (caller.kind === 'node') return (await this.nodeSnapshots(caller)).includes(id);
    const may = await this.services.access.allows(caller, jobRead);
    if (may('/')) return true;
    const workspaces = await this.workspacesNaming(id);
    return workspaces.some((ws) => may(`/workspaces/${ws}`));
  }

  /** A role at `/` that reads jobs reads every job's files: nothing to hide from it, so any snapshot or blob. */
  private async readsEveryJob(caller: Principal): Promise<boolean> {
    return (await this.services.access.allows(caller, jobRead))('/');
  }

  private async nodeSnapshots(node: Principal): Promise<string[]> {
    return (await this.services.ctx.store.jobs.all({ nodeId: node.objectId })).flatMap(snapshotIdsOf);
  }

  /** Workspaces with a job naming the snapshot. Only found answers are kept: a new job's snapshot is readable at once. */
  private async workspacesNaming(id: string): Promise<string[]> {
    const now = this.services.ctx.clock.now().getTime();
    const hit = this.refs.get(id);
    if (hit && hit.until > now) return hit.workspaces;
    const workspaces = [
      ...new Set((await this.services.ctx.store.jobs.referencing(id)).map((j) => j.workspace)),
    ];
    if (workspaces.length > 0) {
      if (this.refs.size >= cacheLimit) this.refs.clear();
      this.refs.set(id, { until: now + refsTtlMs, workspaces });
    }
    return workspaces;
  }

  private async holds(id: string, sha: string): Promise<boolean> {
    if (sha === id) return true;
    let files = this.files.get(id);
    if (!files) {
      const manifest = await this.services.snapshots.getManifest(id).catch(() => undefined);
      if (!manifest) return false;
      files = new Set(manifest.entries.flatMap((e) => (e.kind === 'file' ? [e.sha256] : [])));
      if (this.files.size >= cacheLimit) this.files.clear();
      this.files.set(id, files);
    }
    return files.has(sha);
  }
}

const perServer = new WeakMap<object, SnapshotReads>();

/** The server's SnapshotReads (one per services object, so its caches outlive a request). */
export function snapshotReads(services: Pick<Services, 'ctx' | 'access' | 'snapshots'>): SnapshotReads {
  let reads = perServer.get(services);
  if (!reads) {
    reads = new SnapshotReads(services);
    perServer.set(services, reads);
  }
  return reads;
}
