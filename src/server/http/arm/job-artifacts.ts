import { createHash } from 'node:crypto';
import { logFilesOf } from '../../../domain/jobs/process-plan.js';
import { HangarError } from '../../../domain/errors/hangar-error.js';
import type { Services } from '../../services/services.js';
import type { BlobEntry } from './blob-containers.js';
import { containersOf, workspaceOfContainer } from './blob-sas.js';

/**
 * A job's logs and outputs as Azure lays them out for `jobs.download`: blobs under
 * `ExperimentRun/dcid.<job>/` in the workspace's artifact container (`user_logs/std_log.txt`,
 * `system_logs/…`, `outputs/…`). Nothing is copied: they are read from Hangar's log store and the
 * job's outputs snapshot when listed or fetched.
 */
async function artifactsOf(
  services: Services,
  container: string,
  prefix: string,
): Promise<{ entry: BlobEntry; read: () => Buffer }[]> {
  const ws = workspaceOfContainer(container);
  if (!ws || containersOf(ws).artifacts !== container) return [];
  const m = /^ExperimentRun\/dcid\.([^/]+)\//.exec(prefix);
  if (!m?.[1]) return [];
  const jobName = m[1];
  let job;
  try {
    job = await services.jobs.get(ws, jobName);
  } catch (err) {
    if (err instanceof HangarError && err.code === 'NotFound') return [];
    throw err;
  }
  const base = `ExperimentRun/dcid.${jobName}/`;
  const when = new Date(job.modifiedAt).toUTCString();
  const out: { entry: BlobEntry; read: () => Buffer }[] = [];
  const entryOf = (name: string, bytes: Buffer, sha: string): BlobEntry => ({
    name,
    sha256: sha,
    size: bytes.length,
    md5: createHash('md5').update(bytes).digest('base64'),
    contentType: 'application/octet-stream',
    metadata: {},
    lastModified: when,
    etag: `"0x${sha.slice(0, 16).toUpperCase()}"`,
  });
  for (const file of logFilesOf(job)) {
    let data: Buffer;
    try {
      data = (await services.jobs.readLog(ws, jobName, file)).data;
    } catch {
      continue;
    }
    if (data.length === 0) continue;
    const sha = createHash('sha256').update(data).digest('hex');
    out.push({ entry: entryOf(`${base}${file}`, data, sha), read: () => data });
  }
  if (job.outputsSnapshotId) {
    const manifest = await services.snapshots.getManifest(job.outputsSnapshotId);
    for (const e of manifest.entries) {
      if (e.kind !== 'file') continue;
      const bytes = services.snapshots.blobs.get(e.sha256);
      out.push({ entry: entryOf(`${base}outputs/${e.path}`, bytes, e.sha256), read: () => bytes });
    }
  }
  return out.filter((a) => a.entry.name.startsWith(prefix));
}

export async function artifactList(
  services: Services,
  container: string,
  prefix: string,
): Promise<BlobEntry[]> {
  return (await artifactsOf(services, container, prefix)).map((a) => a.entry);
}

export async function artifactBlob(
  services: Services,
  container: string,
  name: string,
): Promise<{ entry: BlobEntry; bytes: Buffer } | undefined> {
  const found = (await artifactsOf(services, container, name)).find((a) => a.entry.name === name);
  return found ? { entry: found.entry, bytes: found.read() } : undefined;
}
