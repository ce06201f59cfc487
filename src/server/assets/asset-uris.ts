import { existsSync, statSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import type { AssetRecord } from '../../domain/assets/asset-record.js';
import { parseAssetRef } from '../../domain/assets/asset-refs.js';
import {
  defaultDatastoreName,
  unreachableReason,
  type DatastoreDoc,
} from '../../domain/assets/datastore-spec.js';
import { snapshotOfPath, snapshotUri } from '../../domain/assets/snapshot-uri.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { SnapshotManifest } from '../../domain/snapshots/manifest-types.js';
import type { ServiceContext } from '../services/service-context.js';
import type { SnapshotService } from '../snapshots/snapshot-service.js';
import type { DatastoreService } from './datastore-service.js';

/** Where a URI's content is: a snapshot (and a part of it), a folder on a hangar_path datastore, or a URL. */
export type UriTarget =
  | { kind: 'snapshot'; snapshotId: string; subPath: string }
  | { kind: 'path'; datastore: string; root: string; path: string }
  | { kind: 'url'; url: string }
  | { kind: 'record'; datastore: string; reason: string };

/** What a snapshot manifest holds at `subPath`: a file, a folder, or nothing. */
export function entryAt(manifest: SnapshotManifest, subPath: string): 'file' | 'folder' | undefined {
  if (subPath === '') return 'folder';
  if (manifest.entries.some((e) => e.path === subPath && e.kind === 'file')) return 'file';
  if (manifest.entries.some((e) => e.path.startsWith(`${subPath}/`))) return 'folder';
  return undefined;
}

/** The part of a manifest under `subPath`, re-rooted there (a file keeps its own name). */
export function subManifest(manifest: SnapshotManifest, subPath: string): SnapshotManifest {
  if (subPath === '') return manifest;
  const base = subPath.split('/').pop() ?? subPath;
  const entries = manifest.entries.flatMap((e) => {
    if (e.path === subPath && e.kind === 'file') return [{ ...e, path: base }];
    if (e.path.startsWith(`${subPath}/`)) return [{ ...e, path: e.path.slice(subPath.length + 1) }];
    return [];
  });
  return { version: 1, entries };
}

/**
 * Checks and resolves the URIs assets point at (dataUri, modelUri, a component's code): snapshots
 * exist and hold the part named, datastores exist, hangar_path folders hold the path, job outputs
 * are taken out of the job's outputs snapshot into a snapshot of their own.
 */
export class AssetUris {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly snapshots: SnapshotService,
    private readonly datastores: DatastoreService,
  ) {}

  /** Resolves a URI (no `azureml:<name>` asset references: the caller handles those) for `field`. */
  async target(ws: string, uri: string, field: string): Promise<UriTarget & { jobName?: string }> {
    const ref = parseAssetRef(uri, field);
    switch (ref.kind) {
      case 'url':
        return { kind: 'url', url: ref.url };
      case 'local':
        throw new HangarError(
          'ValidationFailed',
          `${field}: '${uri}' is a local path; the client uploads local files first (hangar data create --path) and sends their snapshot URI.`,
          field,
        );
      case 'asset':
        throw new HangarError(
          'ValidationFailed',
          `${field}: '${uri}' names an asset; a URI is expected here (https://, azureml://datastores/… or azureml://jobs/…).`,
          field,
        );
      case 'job-output': {
        const job = await this.ctx.store.jobs.get(ws, ref.job);
        if (!job)
          throw new HangarError(
            'NotFound',
            `${field}: job '${ref.job}' does not exist in workspace '${ws}'.`,
            field,
          );
        if (!job.outputsSnapshotId)
          throw new HangarError(
            'ValidationFailed',
            `${field}: job '${ref.job}' has no stored outputs (status ${job.status}); register its output once it has finished.`,
            field,
          );
        const subPath = [ref.output, ref.path.replace(/\/+$/, '')].filter((p) => p !== '').join('/');
        await this.checkSnapshotPart(job.outputsSnapshotId, subPath, field, uri);
        return { kind: 'snapshot', snapshotId: job.outputsSnapshotId, subPath, jobName: job.name };
      }
      case 'datastore-path': {
        const ds = await this.datastores.get(ws, ref.datastore).catch((err: unknown) => {
          if ((err as HangarError).code === 'NotFound')
            throw new HangarError('NotFound', `${field}: ${(err as HangarError).message}`, field);
          throw err;
        });
        const doc = ds.doc as unknown as DatastoreDoc;
        if (ds.name === defaultDatastoreName) {
          const snap = snapshotOfPath(ref.path);
          if (!snap)
            throw new HangarError(
              'ValidationFailed',
              `${field}: '${uri}': paths on ${defaultDatastoreName} are snapshots/<snapshot id>/<path> (what an upload answers).`,
              field,
            );
          await this.checkSnapshotPart(snap.snapshotId, snap.subPath, field, uri);
          return { kind: 'snapshot', ...snap };
        }
        const reason = unreachableReason(doc.datastoreType);
        if (reason || !doc.path) return { kind: 'record', datastore: ds.name, reason: reason ?? 'no path' };
        const root = resolvePath(doc.path);
        const path = resolvePath(join(root, ref.path));
        if (path !== root && !path.startsWith(`${root}/`))
          throw new HangarError(
            'ValidationFailed',
            `${field}: '${uri}' leaves the datastore's folder.`,
            field,
          );
        return { kind: 'path', datastore: ds.name, root, path };
      }
    }
  }

  /** A snapshot exists and holds `subPath`; NotFound/ValidationFailed name the field and the URI. */
  async checkSnapshotPart(
    snapshotId: string,
    subPath: string,
    field: string,
    uri: string,
  ): Promise<'file' | 'folder'> {
    const manifest = await this.snapshots.getManifest(snapshotId).catch(() => {
      throw new HangarError(
        'NotFound',
        `${field}: '${uri}': snapshot ${snapshotId} does not exist; upload it first.`,
        field,
      );
    });
    const at = entryAt(manifest, subPath);
    if (!at)
      throw new HangarError(
        'NotFound',
        `${field}: '${uri}': nothing at '${subPath}' in that snapshot.`,
        field,
      );
    return at;
  }

  /**
   * The canonical URI and snapshot to store for an asset pointing at `uri`: snapshot parts that are
   * not the whole snapshot get a snapshot of their own (blobs shared, nothing copied), so a version
   * always names exactly its content. `type` uri_file must name a file; folders otherwise.
   */
  async canonical(
    ws: string,
    uri: string,
    type: string,
    field: string,
  ): Promise<{ uri: string; snapshotId?: string; jobName?: string }> {
    const t = await this.target(ws, uri, field);
    const wantsFile = type === 'uri_file';
    if (t.kind === 'snapshot') {
      const manifest = await this.snapshots.getManifest(t.snapshotId);
      const at = entryAt(manifest, t.subPath);
      if (wantsFile && at !== 'file')
        throw new HangarError(
          'ValidationFailed',
          `${field}: a uri_file asset names a file; '${uri}' is a folder.`,
          field,
        );
      if (!wantsFile && at === 'file' && type !== 'custom_model')
        throw new HangarError(
          'ValidationFailed',
          `${field}: a ${type} asset names a folder; '${uri}' is a file (use type uri_file).`,
          field,
        );
      let snapshotId = t.snapshotId;
      let sub = t.subPath;
      // A single uploaded file is already a snapshot of its own; any other part gets one.
      const wholeFile = at === 'file' && manifest.entries.length === 1;
      if (t.subPath !== '' && !wholeFile) {
        snapshotId = (await this.snapshots.putManifest(subManifest(manifest, t.subPath))).id;
        sub = at === 'file' ? (t.subPath.split('/').pop() ?? '') : '';
      }
      const out: { uri: string; snapshotId?: string; jobName?: string } = {
        uri: snapshotUri(snapshotId, sub),
        snapshotId,
      };
      if (t.jobName) out.jobName = t.jobName;
      return out;
    }
    if (t.kind === 'path') {
      if (!existsSync(t.path))
        throw new HangarError(
          'NotFound',
          `${field}: '${uri}': '${t.path}' does not exist on datastore ${t.datastore} (as the server sees it).`,
          field,
        );
      const isFile = statSync(t.path).isFile();
      if (wantsFile !== isFile && type !== 'custom_model')
        throw new HangarError(
          'ValidationFailed',
          `${field}: a ${type} asset names a ${wantsFile ? 'file' : 'folder'}; '${uri}' is a ${isFile ? 'file' : 'folder'}.`,
          field,
        );
    }
    return { uri };
  }

  /** The snapshot and part of a stored version's URI, for download; undefined for URLs and datastore paths. */
  static snapshotPart(record: AssetRecord, uri: string): { snapshotId: string; subPath: string } | undefined {
    if (!record.snapshotId) return undefined;
    const m = /^azureml:\/\/datastores\/[^/]+\/paths\/(.*)$/.exec(uri);
    return m ? snapshotOfPath(m[1] ?? '') : undefined;
  }
}
