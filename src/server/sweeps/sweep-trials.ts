import { HangarError } from '../../domain/errors/hangar-error.js';
import type { JobRecord } from '../../domain/jobs/job-record.js';
import type { LineageEntry } from '../../domain/assets/asset-record.js';
import type { AssetResolution } from '../assets/asset-resolution.js';
import { submitJob } from '../jobs/job-submission.js';
import type { ServiceContext } from '../services/service-context.js';
import type { SnapshotService } from '../snapshots/snapshot-service.js';

/** What building a trial reads beside the store. */
export interface SweepDeps {
  snapshots: SnapshotService;
  assets?: AssetResolution;
  /** MLFLOW_TRACKING_URI for a workspace's jobs. */
  trackingUri(workspace: string): string;
}

/** A trial job, built by the command-job path but not yet written, with the lineage it will record. */
export interface BuiltTrial {
  job: JobRecord;
  lineage: LineageEntry[];
}

/** The sweep fields a trial's command-job field comes from, for errors that name what the user wrote. */
function sweepField(target: string | undefined): string | undefined {
  if (target === undefined) return undefined;
  return /^(command|code|environment|environment_variables|distribution|resources)\b/.test(target)
    ? `trial.${target}`
    : target;
}

/**
 * Builds a trial's job record exactly as `hangar job create` would build a command job (spec,
 * compute, environment, inputs, command, snapshots all checked), without writing it: the sweep
 * writes it itself, with its parent, under its deterministic name. Errors name the sweep's field.
 */
export async function buildTrial(
  ctx: ServiceContext,
  deps: SweepDeps,
  workspace: string,
  name: string,
  spec: Record<string, unknown>,
  snapshots: { codeSnapshotId?: string; inputSnapshots: Record<string, string> },
): Promise<BuiltTrial> {
  let captured: JobRecord | undefined;
  const lineage: LineageEntry[] = [];
  // The command-job path writes with jobs.insert (one write for a single-node job off `local`);
  // that one write is caught here, every read goes to the real store.
  const jobs = ctx.store.jobs;
  const store = new Proxy(ctx.store, {
    get(target, prop) {
      if (prop === 'jobs')
        return new Proxy(jobs, {
          get(t, p) {
            if (p === 'insert')
              return (record: JobRecord) => {
                captured = record;
                return Promise.resolve();
              };
            const v = Reflect.get(t, p, t) as unknown;
            return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
          },
        });
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const assets = deps.assets
    ? new Proxy(deps.assets, {
        get(t, p) {
          if (p === 'recordLineage')
            return (entries: LineageEntry[]) => {
              lineage.push(...entries);
              return Promise.resolve();
            };
          const v = Reflect.get(t, p, t) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
        },
      })
    : undefined;
  try {
    await submitJob(
      { ...ctx, store },
      deps.snapshots,
      workspace,
      name,
      {
        spec,
        inputSnapshots: snapshots.inputSnapshots,
        ...(snapshots.codeSnapshotId ? { codeSnapshotId: snapshots.codeSnapshotId } : {}),
      },
      deps.trackingUri(workspace),
      assets,
    );
  } catch (err) {
    if (!(err instanceof HangarError)) throw err;
    const target = sweepField(err.target);
    const message =
      target && err.target && target !== err.target ? err.message.replace(err.target, target) : err.message;
    throw new HangarError(err.code, message, target, err.details);
  }
  if (!captured) throw new Error(`sweep trial ${name}: the command-job path wrote no job`);
  return { job: captured, lineage };
}

/**
 * Writes a trial job under its sweep; an existing job of that name (created before a crash) is
 * left alone. Answers whether this call created it. Its parameters become its MLflow params.
 */
export async function insertTrial(
  ctx: ServiceContext,
  deps: SweepDeps,
  built: BuiltTrial,
  parent: string,
  params: Record<string, string | number | boolean>,
): Promise<boolean> {
  const job: JobRecord = { ...built.job, parentJobName: parent };
  let created = true;
  try {
    await ctx.store.jobs.insert(job);
  } catch (err) {
    if (!(err instanceof HangarError) || err.code !== 'NameConflict') throw err;
    created = false;
  }
  // Logged again when the job existed (a crash may have come between the insert and this): same values, no-op.
  await ctx.store.runData.logParams(
    job.workspace,
    job.name,
    Object.entries(params).map(([key, value]) => ({ key, value: String(value) })),
  );
  if (created && deps.assets && built.lineage.length > 0) await deps.assets.recordLineage(built.lineage);
  return created;
}
