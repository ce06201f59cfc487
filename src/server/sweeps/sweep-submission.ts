import { randomInt } from 'node:crypto';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { JobRecord } from '../../domain/jobs/job-record.js';
import { generateJobName, validateJobName } from '../../domain/jobs/job-names.js';
import { isLocalTarget } from '../../domain/jobs/local-target.js';
import { trialName, type SweepState } from '../../domain/sweeps/sweep-decision.js';
import { dimensions, paramsAt } from '../../domain/sweeps/search-space.js';
import { parseSweepSpec, trialSpec } from '../../domain/sweeps/sweep-spec.js';
import type { JobSubmission, SubmittedJob } from '../jobs/job-submission.js';
import type { ServiceContext } from '../services/service-context.js';
import { buildTrial, type SweepDeps } from './sweep-trials.js';

/**
 * Records a `type: sweep` job. Everything a trial could fail on is checked now, by building trial 0
 * (at the middle of the search space) through the command-job path, so a bad trial spec is refused
 * at submission, naming the sweep's field. The sweep job itself runs nothing: the sweep loop
 * samples and creates its trials.
 */
export async function submitSweep(
  ctx: ServiceContext,
  deps: SweepDeps,
  workspace: string,
  pathName: string | undefined,
  body: JobSubmission,
): Promise<SubmittedJob> {
  if (!(await ctx.store.workspaces.get(workspace)))
    throw new HangarError('NotFound', `Workspace '${workspace}' does not exist.`, 'workspace');
  const config = parseSweepSpec(body.spec);
  const specName = typeof body.spec.name === 'string' ? body.spec.name : undefined;
  const name = pathName ?? specName ?? generateJobName(() => randomInt(0, 1_000_000) / 1_000_000);
  validateJobName(name);
  if (isLocalTarget(String(config.trial.compute)))
    throw new HangarError(
      'JobCannotRun',
      "compute: a sweep's trials run on a cluster or an instance of the workspace; the local target runs one job of the submitting CLI.",
      'compute',
    );
  const resources = config.trial.resources as { instance_count?: unknown } | undefined;
  if (resources?.instance_count !== undefined && resources.instance_count !== 1)
    throw new HangarError(
      'NotImplemented',
      `trial.resources.instance_count: sweep trials run on one node in Hangar; got ${JSON.stringify(resources.instance_count)}.`,
      'trial.resources.instance_count',
    );
  if (await ctx.store.jobs.get(workspace, name))
    throw new HangarError(
      'NameConflict',
      `Job '${name}' already exists in workspace '${workspace}'.`,
      'name',
    );
  const snapshots = {
    inputSnapshots: body.inputSnapshots,
    ...(body.codeSnapshotId ? { codeSnapshotId: body.codeSnapshotId } : {}),
  };
  const middle = paramsAt(
    config.searchSpace,
    dimensions(config.searchSpace).map(() => 0.5),
  );
  const probe = await buildTrial(
    ctx,
    deps,
    workspace,
    trialName(name, 0),
    trialSpec(config.trial, middle, trialName(name, 0)),
    snapshots,
  );
  const seed =
    config.sampling.type === 'random' && config.sampling.seed !== undefined
      ? config.sampling.seed
      : randomInt(0, 2 ** 31);
  const state: SweepState = { config, seed, trials: [], snapshots };
  const now = ctx.clock.now().toISOString();
  const job: JobRecord = {
    name,
    workspace,
    spec: { ...body.spec, name },
    // The trials' run (environment, code, inputs), kept so the sweep shows it and its snapshots stay
    // referenced; no node: instanceCount 0 asks the autoscaler for nothing.
    run: { ...probe.job.run, instanceCount: 0, maxAttempts: 1, env: {}, timeoutSeconds: undefined },
    computeName: probe.job.computeName,
    experimentName: probe.job.experimentName,
    status: 'Queued',
    reason: 'waiting for the sweep controller to sample the first trials',
    priority: probe.job.priority,
    queueSeq: probe.job.queueSeq,
    attempts: [],
    delivered: false,
    cancelRequested: false,
    controller: 'sweep',
    sweep: state,
    createdAt: now,
    modifiedAt: now,
    version: 1,
  };
  const displayName = body.spec.display_name;
  if (typeof displayName === 'string') job.displayName = displayName;
  await ctx.store.jobs.insert(job);
  return { job };
}
