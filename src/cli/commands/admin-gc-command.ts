import type { Command } from 'commander';
import { formatBytes } from '../../domain/snapshots/format-bytes.js';
import { action, clientFor, UsageError, withCommon, type CommonOptions } from '../cli-context.js';
import { printResult } from '../output.js';

/** What the server's gc answers (see src/server/snapshots/blob-gc.ts). */
interface GcReport {
  dryRun: boolean;
  retentionHours: number;
  referencedSnapshots: number;
  missingSnapshots: string[];
  blobs: { total: number; referenced: number; unreferencedYoung: number; deleted: number };
  bytes: { total: number; referenced: number; freed: number };
}

function summary(r: GcReport): string {
  const verb = r.dryRun ? 'would delete' : 'deleted';
  return [
    `${r.blobs.total} blobs (${formatBytes(r.bytes.total)}); ${r.blobs.referenced} referenced by ${r.referencedSnapshots} snapshots of jobs and assets (${formatBytes(r.bytes.referenced)}).`,
    `${verb} ${r.blobs.deleted} unreferenced blobs older than ${r.retentionHours} h, freeing ${formatBytes(r.bytes.freed)}; kept ${r.blobs.unreferencedYoung} younger ones.`,
    ...(r.missingSnapshots.length > 0
      ? [
          `WARNING: ${r.missingSnapshots.length} referenced snapshot(s) have no manifest: ${r.missingSnapshots.slice(0, 3).join(', ')}`,
        ]
      : []),
    ...(r.dryRun ? ['Dry run: nothing was deleted. Run `hangar admin gc --yes` to delete.'] : []),
  ].join('\n');
}

/** `hangar admin gc [--yes] [--retention-hours N]`: the blob store's garbage collection, dry run by default. */
export function registerAdminGcCommand(program: Command): void {
  const admin =
    program.commands.find((c) => c.name() === 'admin') ??
    program.command('admin').description('Server administration (needs a role at the server scope)');
  withCommon(
    admin
      .command('gc')
      .description(
        'Delete stored blobs that no job, data, model or component version references, older than storage.gcRetentionHours; a dry run unless --yes',
      )
      .option('--yes', 'delete (without it: only say how much would be freed)')
      .option(
        '--retention-hours <hours>',
        'keep unreferenced blobs younger than this (default: the server config)',
      ),
  ).action(
    action(async (o: CommonOptions & { yes?: boolean; retentionHours?: string }) => {
      const query = new URLSearchParams({ dryRun: o.yes ? 'false' : 'true' });
      if (o.retentionHours !== undefined) {
        const hours = Number(o.retentionHours);
        if (!Number.isFinite(hours) || hours < 0)
          throw new UsageError(`--retention-hours: must be a number of hours ≥ 0; got '${o.retentionHours}'`);
        query.set('retentionHours', String(hours));
      }
      const report = await clientFor(o).http.request<GcReport>('POST', `/api/admin/gc?${query.toString()}`);
      process.stderr.write(`${summary(report)}\n`);
      printResult(report, o);
    }),
  );
}
