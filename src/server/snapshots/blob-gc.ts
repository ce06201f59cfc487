import { snapshotIdsOf } from '../../domain/snapshots/snapshot-refs.js';
import type { ServiceContext } from '../services/service-context.js';
import type { SnapshotService } from './snapshot-service.js';

/** What a gc pass found and did (or, in a dry run, would do). */
export interface GcReport {
  dryRun: boolean;
  retentionHours: number;
  /** Snapshots something references: jobs (code, inputs, outputs, checkpoints) and asset versions. */
  referencedSnapshots: number;
  /** Referenced snapshots whose manifest is missing (shown, never fatal: their blobs are unknown). */
  missingSnapshots: string[];
  blobs: { total: number; referenced: number; unreferencedYoung: number; deleted: number };
  bytes: { total: number; referenced: number; freed: number };
}

/**
 * Every snapshot a record of the store points at: each job's snapshots (ranks and finished jobs
 * included) and each data, model and component version's (archived or not). Environments and
 * instances keep no blobs.
 */
async function referencedSnapshots(ctx: ServiceContext): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const job of await ctx.store.jobs.all({})) for (const id of snapshotIdsOf(job)) ids.add(id);
  for (const id of await ctx.store.assets.snapshotIds()) ids.add(id);
  return ids;
}

/**
 * One gc pass over the content-addressed store: a blob is kept when a referenced snapshot is it
 * (a manifest) or names it (a file), or when it is younger than the retention period (uploads
 * under way, snapshots about to be named by a submission: `missing` and `putManifest` renew
 * the age of blobs they find). Everything else is deleted, unless `dryRun`, which only counts.
 */
export async function collectGarbage(
  ctx: ServiceContext,
  snapshots: SnapshotService,
  options: {
    dryRun: boolean;
    retentionHours?: number;
    /** References kept outside the store (the Azure ML API's uploaded blobs and code versions). */
    external?: () => { blobs: Iterable<string>; snapshots: Iterable<string> };
  },
): Promise<GcReport> {
  const retentionHours = options.retentionHours ?? ctx.config.storage.gcRetentionHours;
  // Listed before the references are read: a blob written after this is not in the list at all.
  const held = snapshots.blobs.list();
  const roots = await referencedSnapshots(ctx);
  const keep = new Set<string>();
  const external = options.external?.();
  for (const id of external?.snapshots ?? []) roots.add(id);
  for (const sha of external?.blobs ?? []) keep.add(sha);
  const missingSnapshots: string[] = [];
  for (const id of roots) {
    keep.add(id);
    try {
      const manifest = await snapshots.getManifest(id);
      for (const e of manifest.entries) if (e.kind === 'file') keep.add(e.sha256);
    } catch {
      missingSnapshots.push(id);
    }
  }
  const cutoff = ctx.clock.now().getTime() - retentionHours * 3600_000;
  const report: GcReport = {
    dryRun: options.dryRun,
    retentionHours,
    referencedSnapshots: roots.size,
    missingSnapshots,
    blobs: { total: held.length, referenced: 0, unreferencedYoung: 0, deleted: 0 },
    bytes: { total: 0, referenced: 0, freed: 0 },
  };
  for (const blob of held) {
    report.bytes.total += blob.size;
    if (keep.has(blob.sha)) {
      report.blobs.referenced++;
      report.bytes.referenced += blob.size;
    } else if (blob.mtimeMs > cutoff) report.blobs.unreferencedYoung++;
    else {
      if (!options.dryRun && !snapshots.blobs.delete(blob.sha)) continue;
      report.blobs.deleted++;
      report.bytes.freed += blob.size;
    }
  }
  return report;
}
