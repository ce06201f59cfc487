import { randomBytes, randomInt } from 'node:crypto';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { z } from 'zod';
import { notRunnableReason } from '../../domain/compute/compute-kinds.js';
import { isRecordOf, isSpecOf, nodeBounds, type ComputeRecord } from '../../domain/compute/compute-record.js';
import { findVmSize } from '../../domain/compute/vm-sizes.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import { outputFolders, renderCommand } from '../../domain/jobs/command-template.js';
import { outputRegistrations } from '../../domain/jobs/job-outputs.js';
import {
  queuePriority,
  rankJobName,
  type Distribution,
  type JobRecord,
  type JobRunSpec,
} from '../../domain/jobs/job-record.js';
import { parseDistribution } from '../../domain/jobs/distribution.js';
import { generateJobName, validateJobName } from '../../domain/jobs/job-names.js';
import { parseJobSpec, type JobSpec } from '../../domain/jobs/job-spec.js';
import { isLocalTarget, localComputeId, localTarget } from '../../domain/jobs/local-target.js';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import { hashToken, newToken } from '../nodes/node-tokens.js';
import type { ServiceContext } from '../services/service-context.js';
import type { SnapshotService } from '../snapshots/snapshot-service.js';
import type { AssetResolution } from '../assets/asset-resolution.js';
import { resolveEnvironment } from './environment-resolver.js';
import { resolveDatastoreOutputs, resolveInputs, type PathCheck } from './input-resolution.js';
import type { DeferredCompute } from './serverless-pool.js';

/** Body of a job submission: the az ml command job (as JSON) plus the snapshots the client uploaded. */
export const jobSubmissionSchema = z.strictObject({
  /** The az ml v2 command job YAML, as JSON. Local paths (code, uri inputs) are replaced by the snapshot ids below. */
  spec: z.record(z.string(), z.unknown()),
  /** Snapshot of the `code` folder. */
  codeSnapshotId: z.string().min(1).optional(),
  /** Snapshot of each uri_file / uri_folder input, by input name. */
  inputSnapshots: z.record(z.string(), z.string().min(1)).default({}),
});
/** A validated submission body. */
export type JobSubmission = z.infer<typeof jobSubmissionSchema>;

async function resolveCompute(ctx: ServiceContext, workspace: string, spec: JobSpec): Promise<ComputeRecord> {
  const raw = spec.compute;
  if (!raw)
    throw new HangarError(
      'ValidationFailed',
      "compute: required (a compute cluster or instance of this workspace, with or without 'azureml:', or 'local').",
      'compute',
    );
  const name = raw.replace(/^azureml:/, '');
  const compute = await ctx.store.computes.get(workspace, name);
  if (!compute)
    throw new HangarError(
      'NotFound',
      `compute: '${name}' does not exist in workspace '${workspace}'; see \`hangar compute list\`.`,
      'compute',
    );
  const notRunnable = notRunnableReason(compute.spec.computeType);
  if (notRunnable)
    throw new HangarError('JobCannotRun', `compute: '${name}' cannot run jobs: ${notRunnable}`, 'compute');
  if (compute.status.provisioningState === 'Deleting' || compute.status.provisioningState === 'Failed') {
    throw new HangarError(
      'JobCannotRun',
      `compute: '${name}' is ${compute.status.provisioningState}; it cannot take jobs.`,
      'compute',
    );
  }
  return compute;
}

/** A job must be able to fit one day: node count and cores within the compute's limits. */
function checkFits(ctx: ServiceContext, compute: ComputeRecord, instanceCount: number): void {
  const max = nodeBounds(compute.spec).maxNodeCount;
  if (instanceCount > max) {
    throw new HangarError(
      'JobCannotRun',
      `resources.instance_count: ${instanceCount} nodes requested but ${compute.name} has at most ${max}; the job could never start.`,
      'resources.instance_count',
    );
  }
  // Only a cluster's cores count against the location's quota per job.
  if (!isSpecOf(compute.spec, 'AmlCompute')) return;
  const props = compute.spec.properties;
  const size = findVmSize(props.vmSize);
  const location = ctx.config.locations.find((l) => l.name === compute.spec.location);
  if (!size || !location) return;
  const lowPriority = props.vmPriority === 'LowPriority';
  const limit = lowPriority
    ? location.quota.lowPriorityCores
    : (location.quota.dedicatedCoresPerFamily[size.family] ?? location.quota.defaultDedicatedCoresPerFamily);
  const need = instanceCount * size.vCPUs;
  if (need > limit) {
    throw new HangarError(
      'JobCannotRun',
      `resources.instance_count: ${instanceCount} × ${size.vCPUs} cores of ${size.name} = ${need} cores, above the ${lowPriority ? 'low-priority' : size.family} quota of ${limit} in ${location.name}; the job could never start.`,
      'resources.instance_count',
    );
  }
}

function inlineConda(env: unknown): unknown {
  if (env === null || typeof env !== 'object') return env;
  const e = env as Record<string, unknown>;
  if (e.conda_file !== undefined && typeof e.conda_file !== 'string')
    return { ...e, conda_file: toYaml(e.conda_file) };
  if (typeof e.conda_file === 'string') parseYaml(e.conda_file); // syntax check; content was inlined by the client
  return e;
}

/**
 * Where a datastore path is checked: now when the compute's nodes run on this host; now, through
 * its provider, on an attached SSH machine or where a Slurm cluster's commands run (its nodes
 * share that file system); else (the local target) on the node.
 */
function pathCheckFor(ctx: ServiceContext, compute: ComputeRecord | undefined): PathCheck {
  if (!compute) return 'on-node'; // the local target runs on the submitter's machine
  if (isRecordOf(compute, 'VirtualMachine')) {
    const probe = ctx.probeMachinePaths;
    if (!probe) return 'on-node';
    const user = compute.spec.properties.administratorAccount.username;
    return {
      where: `compute '${compute.name}' (an SSH machine, as user '${user}')`,
      probe: (paths) => probe(compute, paths),
    };
  }
  if (isRecordOf(compute, 'Slurm')) {
    const probe = ctx.probeMachinePaths;
    if (!probe) return 'on-node';
    const login = compute.spec.properties.loginHost;
    return {
      where: `compute '${compute.name}' (a Slurm cluster, checked on ${login ? `its login node ${login}` : 'this host'})`,
      probe: (paths) => probe(compute, paths),
    };
  }
  return 'here';
}

async function checkSnapshots(snapshots: SnapshotService, ids: string[]): Promise<void> {
  // Throws NotFound naming the snapshot when the client did not upload it.
  for (const id of ids) await snapshots.getManifest(id);
}

function stringEnv(vars: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(vars ?? {}).map(([k, v]) => [k, String(v)]));
}

/**
 * Turns a submission into a queued job. Everything that can fail before queueing fails here
 * (spec, name, compute, fit, environment, inputs, command template, snapshots), so a queued job
 * waits only for capacity.
 */
export async function submitJob(
  ctx: ServiceContext,
  snapshots: SnapshotService,
  workspace: string,
  pathName: string | undefined,
  body: JobSubmission,
  trackingUri: string,
  assets?: AssetResolution,
  /** The serverless pool of a job's first use: checked against now, created only if the job is valid. */
  deferred?: DeferredCompute,
): Promise<SubmittedJob> {
  if (!(await ctx.store.workspaces.get(workspace)))
    throw new HangarError('NotFound', `Workspace '${workspace}' does not exist.`, 'workspace');
  const spec = parseJobSpec({ ...body.spec, environment: inlineConda(body.spec.environment) });
  const name = pathName ?? spec.name ?? generateJobName(() => randomInt(0, 1_000_000) / 1_000_000);
  validateJobName(name);
  if (spec.code !== undefined && !body.codeSnapshotId)
    throw new HangarError(
      'ValidationFailed',
      'code: the code folder must be uploaded as a snapshot (codeSnapshotId); submit with `hangar job create`.',
      'code',
    );
  const local = isLocalTarget(spec.compute);
  const instanceCount = spec.resources?.instance_count ?? 1;
  // Checked for every job, so a wrong key is named even where one node makes it moot.
  const distribution = parseDistribution(spec.distribution, instanceCount);
  if (local && instanceCount !== 1)
    throw new HangarError(
      'JobCannotRun',
      `resources.instance_count: the local target is one machine; got ${instanceCount}.`,
      'resources.instance_count',
    );
  const compute = local ? undefined : (deferred?.preview ?? (await resolveCompute(ctx, workspace, spec)));
  if (compute) checkFits(ctx, compute, instanceCount);
  const environment = await resolveEnvironment(
    ctx.store,
    workspace,
    spec.environment,
    ctx.config.environmentAliases,
  );
  const registerOutputs = outputRegistrations(spec);
  const inputDeps = { snapshots, ...(assets ? { assets } : {}), pathCheck: pathCheckFor(ctx, compute) };
  const inputs = await resolveInputs(inputDeps, workspace, spec, body.inputSnapshots);
  // Outputs written in place on a datastore travel to the agent as writable binds, after the inputs.
  inputs.files.push(...(await resolveDatastoreOutputs(inputDeps, workspace, spec)));
  const command = renderCommand(spec.command, inputs.values, spec.outputs ?? {}, inputs.placed);
  await checkSnapshots(snapshots, [
    ...(body.codeSnapshotId ? [body.codeSnapshotId] : []),
    ...inputs.files.flatMap((f) => (f.snapshotId ? [f.snapshotId] : [])),
  ]);
  // Every check has passed: only now may a serverless pool come into being for this job.
  if (deferred) await deferred.create();
  const experimentName = spec.experiment_name ?? 'Default';
  const run: JobRunSpec = {
    command,
    environment: environment.definition,
    environmentName: environment.display,
    env: {
      ...stringEnv(spec.environment_variables),
      MLFLOW_TRACKING_URI: trackingUri,
      MLFLOW_RUN_ID: name,
      MLFLOW_EXPERIMENT_NAME: experimentName,
      HANGAR_JOB_NAME: name,
      HANGAR_WORKSPACE: workspace,
    },
    inputs: inputs.files,
    outputDirs: outputFolders(spec.outputs ?? {}),
    ...(registerOutputs.length > 0 ? { registerOutputs } : {}),
    instanceCount,
    maxAttempts: (spec.retry_settings?.max_retries ?? 0) + 1,
  };
  if (body.codeSnapshotId) run.snapshotId = body.codeSnapshotId;
  if (spec.limits?.timeout) run.timeoutSeconds = spec.limits.timeout;
  const now = ctx.clock.now().toISOString();
  const job: JobRecord = {
    name,
    workspace,
    spec: { ...spec, name },
    run,
    computeName: compute?.name ?? localTarget,
    experimentName,
    status: 'Queued',
    reason: local
      ? 'waiting for the local agent of `hangar job create` on the submitting machine'
      : 'waiting for the scheduler',
    priority: queuePriority[spec.queue_settings?.priority ?? 'medium'],
    queueSeq: await ctx.store.jobs.nextQueueSeq(),
    attempts: [],
    delivered: false,
    cancelRequested: false,
    createdAt: now,
    modifiedAt: now,
    version: 1,
  };
  if (spec.display_name) job.displayName = spec.display_name;
  if (Object.keys(inputs.assets).length > 0) job.assets = { inputs: inputs.assets, outputs: {} };
  // Once the job exists: the asset side of lineage (which jobs read a version), and what was substituted.
  const lineage = async (): Promise<void> => {
    if (assets && inputs.lineage.length > 0)
      await assets.recordLineage(inputs.lineage.map((e) => ({ ...e, workspace, job: name, at: now })));
    if (environment.substituted)
      await ctx.store.events.append({
        at: now,
        workspace,
        resource: `job/${name}`,
        reason: 'EnvironmentSubstituted',
        message: `environment: ${environment.display}`,
        level: 'Info',
      });
  };
  if (instanceCount > 1) {
    const parent = await insertGang(ctx, job, distribution);
    await lineage();
    return { job: parent };
  }
  if (!local) {
    await ctx.store.jobs.insert(job);
    await lineage();
    return { job };
  }
  const token = newToken();
  const node = localNode(workspace, name, hashToken(token), now);
  job.pinnedNodeId = node.id;
  await ctx.store.transaction(async () => {
    await ctx.store.jobs.insert(job);
    await ctx.store.nodes.insert(node);
  });
  await lineage();
  return { job, localAgentToken: token };
}

/**
 * A multi-node job: the job the user sees (it never runs itself) and one hidden rank job per node,
 * placed together by the scheduler. Their ranked processes and variables are planned when they
 * are delivered (planNode), once every node's address is known.
 */
async function insertGang(
  ctx: ServiceContext,
  job: JobRecord,
  distribution: Distribution,
): Promise<JobRecord> {
  const size = job.run.instanceCount;
  const parent: JobRecord = {
    ...job,
    gang: { size, distribution },
    reason: `waiting for ${size} nodes of ${job.computeName}`,
  };
  // The parent and its ranks land together or not at all: a crash never leaves a half-written gang.
  await ctx.store.transaction(async () => {
    await ctx.store.jobs.insert(parent);
    for (let rank = 0; rank < size; rank++) {
      const run = {
        ...job.run,
        instanceCount: 1,
        maxAttempts: 1,
      };
      await ctx.store.jobs.insert({
        ...job,
        name: rankJobName(job.name, rank),
        spec: { ...job.spec, name: rankJobName(job.name, rank) },
        run,
        gang: { size, rank, parent: job.name, distribution },
      });
    }
  });
  return parent;
}

/** A submitted job; a `local` one comes with the one-time token its submitter's agent registers with. */
export interface SubmittedJob {
  job: JobRecord;
  localAgentToken?: string;
}

function localNode(workspace: string, jobName: string, tokenHash: string, now: string): NodeRecord {
  return {
    id: `local-${randomBytes(4).toString('hex')}`,
    workspace,
    computeId: localComputeId(workspace, jobName),
    computeName: localTarget,
    provider: 'cli',
    state: 'preparing',
    tokenHash,
    slots: 1,
    createdAt: now,
    version: 1,
  };
}
