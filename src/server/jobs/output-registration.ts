import { assetRefText } from '../../domain/assets/asset-refs.js';
import type { JobRecord } from '../../domain/jobs/job-record.js';
import { subManifest } from '../../domain/snapshots/sub-manifest.js';
import type { AssetResolution } from '../assets/asset-resolution.js';
import type { ServiceContext } from '../services/service-context.js';
import type { SnapshotService } from '../snapshots/snapshot-service.js';
import { updateJob } from './job-writes.js';

/**
 * At the end of a completed job, registers each output that has a `name` as a data or model
 * version (its folder, or file, inside the job's ./outputs snapshot: no byte is copied), and
 * writes the versions on the job (lineage). Idempotent: an output the asset layer already
 * recorded for this job (a repeated report, a retry after a crash) is not registered twice. A
 * refusal (the version exists, nothing was written) is an event on the job, not a failure of it.
 */
export async function registerJobOutputs(
  ctx: ServiceContext,
  snapshots: SnapshotService,
  assets: AssetResolution | undefined,
  job: JobRecord,
): Promise<void> {
  const wanted = job.run.registerOutputs ?? [];
  if (!assets || wanted.length === 0 || job.status !== 'Completed' || job.gang) return;
  if (wanted.every((w) => job.assets?.outputs[w.output])) return;
  const recorded = new Map(
    (await assets.lineageOfJob(job.workspace, job.name))
      .filter((e) => e.direction === 'output')
      .map((e) => [e.port, assetRefText(e.name, e.version)]),
  );
  const manifest = job.outputsSnapshotId ? await snapshots.getManifest(job.outputsSnapshotId) : undefined;
  const made: Record<string, string> = {};
  for (const reg of wanted) {
    const known = recorded.get(reg.output);
    if (known) {
      made[reg.output] = known;
      continue;
    }
    const part = manifest ? subManifest(manifest, reg.output) : undefined;
    try {
      if (!part) throw new Error(`the job wrote nothing to outputs/${reg.output}`);
      const { id } = await snapshots.putManifest(part);
      const record = await assets.registerOutputAsAsset(job.workspace, {
        assetKind: reg.assetKind,
        name: reg.name,
        ...(reg.version ? { version: reg.version } : {}),
        type: reg.type,
        snapshotId: id,
        job: job.name,
        output: reg.output,
        ...(reg.description ? { description: reg.description } : {}),
      });
      made[reg.output] = assetRefText(record.name, record.version);
    } catch (err) {
      await ctx.store.events.append({
        at: ctx.clock.now().toISOString(),
        workspace: job.workspace,
        resource: `job/${job.name}`,
        reason: 'OutputNotRegistered',
        message: `outputs.${reg.output} was not registered as ${reg.assetKind} '${reg.name}'${reg.version ? ` version ${reg.version}` : ''}: ${(err as Error).message}`,
        level: 'Warning',
      });
    }
  }
  if (Object.keys(made).length === 0) return;
  await updateJob(ctx, job, (j) => {
    const outputs = { ...j.assets?.outputs, ...made };
    if (JSON.stringify(outputs) === JSON.stringify(j.assets?.outputs ?? {})) return undefined;
    return { ...j, assets: { inputs: j.assets?.inputs ?? {}, outputs } };
  });
}
