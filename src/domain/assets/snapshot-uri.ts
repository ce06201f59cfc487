import { defaultDatastoreName } from './datastore-spec.js';

const prefix = `azureml://datastores/${defaultDatastoreName}/paths/snapshots/`;

/** The URI of content in Hangar's store: a snapshot (and a file or folder inside it) on workspaceblobstore. */
export function snapshotUri(snapshotId: string, subPath = ''): string {
  return `${prefix}${snapshotId}/${subPath.replace(/^\/+/, '')}`;
}

/**
 * The snapshot a workspaceblobstore path names (`snapshots/<sha256>/<sub>`), or undefined when the
 * path is not of that form. `subPath` has no leading or trailing '/'.
 */
export function snapshotOfPath(path: string): { snapshotId: string; subPath: string } | undefined {
  const m = /^\/?snapshots\/([0-9a-f]{64})(?:\/(.*))?$/.exec(path);
  if (!m) return undefined;
  return { snapshotId: m[1] ?? '', subPath: (m[2] ?? '').replace(/\/+$/, '') };
}
