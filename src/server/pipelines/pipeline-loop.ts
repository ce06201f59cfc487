import { HangarError } from '../../domain/errors/hangar-error.js';
import { terminalStates, unfinishedStates, type JobRecord } from '../../domain/jobs/job-record.js';
import { requestCancel } from '../../domain/jobs/job-transitions.js';
import {
  decidePipeline,
  type PipelineDecision,
  type StepObservation,
} from '../../domain/pipelines/pipeline-decision.js';
import type { PipelineStepState } from '../../domain/pipelines/pipeline-record.js';
import { stepJobName, type PipelinePlan, type StepPlan } from '../../domain/pipelines/pipeline-spec.js';
import {
  decideReuse,
  inputIdentity,
  stepCacheKey,
  type ReuseCandidate,
  type StepCacheKey,
} from '../../domain/pipelines/step-cache.js';
import { sweepStepJobSpec, type SweepStepJob } from '../../domain/pipelines/sweep-step.js';
import { jobKey } from '../jobs/job-key.js';
import { submitJob } from '../jobs/job-submission.js';
import { updateJob } from '../jobs/job-writes.js';
import type { LoopDefinition } from '../loops/loop-runner.js';
import type { ServiceContext } from '../services/service-context.js';
import { submitSweep } from '../sweeps/sweep-submission.js';
import { codeSnapshotOf, type PipelineDeps } from './pipeline-submission.js';

const sweepNotReused = 'not reused: a sweep step always runs (its trials sample anew), and is never reused';

/** A pipeline the loop looks after: an unfinished one, or a finished one whose steps still run. */
interface PipelineKey {
  workspace: string;
  name: string;
}

/**
 * The pipeline controller: for each unfinished pipeline job, creates the steps whose inputs are
 * ready (as command jobs `<pipeline>_<step>`, children of the pipeline), reuses an earlier run's
 * outputs where a step's key matches, stops the steps of a failed or canceled pipeline, and writes
 * the pipeline's status from its steps (decidePipeline). Every action is idempotent: a step job
 * exists or not under its deterministic name, so a restart just runs the pass again.
 */
export function pipelineLoop(
  ctx: ServiceContext,
  deps: PipelineDeps,
): LoopDefinition<PipelineKey[], PipelineKey> {
  return {
    name: 'pipelines',
    intervalMs: ctx.config.reconcileIntervalMs,
    async read() {
      // Pipelines and their steps only: the queue's other jobs are not this loop's.
      const active = await ctx.store.jobs.all({ statuses: [...unfinishedStates], family: true });
      const keys = new Map<string, PipelineKey>();
      for (const j of active) {
        if (terminalStates.has(j.status)) continue;
        const name = j.controller === 'pipeline' ? j.name : j.pipelineStep?.pipeline;
        if (name !== undefined) keys.set(`${j.workspace}/${name}`, { workspace: j.workspace, name });
      }
      return [...keys.values()];
    },
    keys: (snapshot) => snapshot,
    keyOf: (k) => `pipeline/${k.workspace}/${k.name}`,
    reconcile: (k) => reconcilePipeline(ctx, deps, k.workspace, k.name),
  };
}

async function stepsOf(
  ctx: ServiceContext,
  pipeline: JobRecord,
  plan: PipelinePlan,
): Promise<Record<string, JobRecord | undefined>> {
  const out: Record<string, JobRecord | undefined> = {};
  for (const s of plan.order) {
    const job = await ctx.store.jobs.get(pipeline.workspace, stepJobName(pipeline.name, s));
    const tags = (job?.spec.tags ?? {}) as Record<string, unknown>;
    // Recorded but not yet marked as this pipeline's step (the server stopped in between): mark it now.
    out[s] =
      job && job.parentJobName === undefined && tags['azureml.pipeline'] === pipeline.name
        ? await updateJob(ctx, job, (j) => ({
            ...j,
            parentJobName: pipeline.name,
            pipelineStep: {
              pipeline: pipeline.name,
              step: s,
              componentName: plan.steps[s]?.componentName ?? s,
              cacheKey: stepCacheKey(plan.steps[s] as StepPlan, {}),
              reuse: 'not reused: submitted before a server restart, so its key was not recorded',
              // Its key lacks the inputs: never offered for reuse.
              reusable: false,
            },
          }))
        : job;
  }
  return out;
}

function observe(steps: Record<string, JobRecord | undefined>): Record<string, StepObservation | undefined> {
  return Object.fromEntries(
    Object.entries(steps).map(([s, j]) => [s, j ? { status: j.status, ...messageOf(j) } : undefined]),
  );
}

/** What a step's phase says beside its state: why it failed, or which run it reused. */
function messageOf(j: JobRecord): { message?: string } {
  if (j.error?.message) return { message: j.error.message };
  if (j.pipelineStep?.reusedFrom) return { message: `reused from ${j.pipelineStep.reusedFrom}` };
  return {};
}

async function cancelStep(ctx: ServiceContext, step: JobRecord): Promise<void> {
  const written = await updateJob(ctx, step, (j) => requestCancel(j, ctx.clock.now()));
  if (written.nodeId) ctx.signals.nodeWork(written.nodeId);
}

export async function reconcilePipeline(
  ctx: ServiceContext,
  deps: PipelineDeps,
  workspace: string,
  name: string,
): Promise<void> {
  const pipeline = await ctx.store.jobs.get(workspace, name);
  const plan = pipeline?.pipeline?.plan;
  if (!pipeline || !plan) return;
  let steps = await stepsOf(ctx, pipeline, plan);
  // A pipeline that ended (canceled by the user) takes its unfinished steps with it.
  if (terminalStates.has(pipeline.status)) {
    for (const step of Object.values(steps))
      if (step && !terminalStates.has(step.status)) await cancelStep(ctx, step);
    return;
  }
  const stepErrors = { ...pipeline.pipeline?.stepErrors };
  let decision: PipelineDecision | undefined;
  // Reused steps complete at once, so their dependents may start in the same pass.
  for (let round = 0; round <= plan.order.length; round++) {
    decision = decidePipeline({
      plan,
      steps: observe(steps),
      stepErrors,
      cancelRequested: pipeline.cancelRequested,
    });
    for (const s of decision.cancel) {
      const step = steps[s];
      if (step) await cancelStep(ctx, step);
    }
    if (decision.start.length === 0) break;
    for (const s of decision.start) {
      try {
        await startStep(ctx, deps, pipeline, plan, s, steps);
      } catch (err) {
        if (!(err instanceof HangarError)) throw err;
        // Named on the pipeline and counted as a failed step, never retried blindly.
        stepErrors[s] = `${err.message}`;
      }
    }
    steps = await stepsOf(ctx, pipeline, plan);
  }
  if (!decision) return;
  await writePipeline(ctx, pipeline, decision, stepErrors);
}

async function writePipeline(
  ctx: ServiceContext,
  pipeline: JobRecord,
  d: PipelineDecision,
  stepErrors: Record<string, string>,
): Promise<void> {
  await updateJob(ctx, pipeline, (p) => {
    if (terminalStates.has(p.status) || !p.pipeline) return undefined;
    const now = ctx.clock.now().toISOString();
    const ended = terminalStates.has(d.status);
    const next: JobRecord = {
      ...p,
      status: d.status,
      reason: d.reason,
      pipeline: {
        ...p.pipeline,
        phases: d.phases,
        ...(Object.keys(stepErrors).length > 0 ? { stepErrors } : {}),
      },
      startTime: p.startTime ?? now,
    };
    if (d.error) next.error = d.error;
    if (ended) {
      next.endTime = now;
      if (d.status === 'Completed') next.exitCode = 0;
    }
    if (next.reason === undefined) delete next.reason;
    const same = (j: JobRecord) =>
      JSON.stringify([
        j.status,
        j.reason,
        j.error,
        j.pipeline,
        j.startTime !== undefined,
        j.endTime !== undefined,
      ]);
    return same(next) === same(p) ? undefined : { ...next, modifiedAt: now };
  });
}

/** The command job a step runs: its plan with inputs bound (another step's output by its job's output URI). */
function stepSpec(
  pipeline: JobRecord,
  plan: PipelinePlan,
  s: string,
  steps: Record<string, JobRecord | undefined>,
): { spec: Record<string, unknown>; identities: Record<string, string> } {
  const step = plan.steps[s] as StepPlan;
  const inputs: Record<string, unknown> = {};
  const identities: Record<string, string> = {};
  for (const [k, i] of Object.entries(step.inputs)) {
    if (i.kind === 'literal') inputs[k] = i.value;
    else if (i.kind === 'data')
      inputs[k] = { type: i.type, path: i.path, ...(i.mode ? { mode: i.mode } : {}) };
    else {
      const producer = steps[i.step];
      inputs[k] = {
        type: i.type,
        path: `azureml://jobs/${producer?.name ?? stepJobName(pipeline.name, i.step)}/outputs/${i.output}`,
        ...(i.mode ? { mode: i.mode } : {}),
      };
      identities[k] = inputIdentity(i, producer?.outputsSnapshotId);
      continue;
    }
    identities[k] = inputIdentity(i);
  }
  // The pipeline's identity is its steps' (as Azure runs them).
  const identity = (pipeline.spec as { identity?: unknown }).identity;
  const tags = { ...step.tags, 'azureml.pipeline': pipeline.name, 'azureml.step': s };
  if (step.sweep) {
    const job: SweepStepJob = {
      name: stepJobName(pipeline.name, s),
      displayName: step.displayName ?? s,
      experimentName: pipeline.experimentName,
      compute: step.compute,
      command: step.command,
      tags,
      inputs,
      outputs: step.outputs,
    };
    if (step.environment !== undefined) job.environment = step.environment;
    if (step.environmentVariables) job.environmentVariables = step.environmentVariables;
    if (step.distribution) job.distribution = step.distribution;
    if (step.resources) job.resources = step.resources;
    if (step.description) job.description = step.description;
    if (identity !== undefined) job.identity = identity;
    return { spec: sweepStepJobSpec(step.sweep, job), identities };
  }
  const spec: Record<string, unknown> = {
    type: 'command',
    name: stepJobName(pipeline.name, s),
    display_name: step.displayName ?? s,
    experiment_name: pipeline.experimentName,
    command: step.command,
    compute: step.compute,
    inputs,
    outputs: step.outputs,
    tags,
  };
  if (step.description) spec.description = step.description;
  if (identity !== undefined) spec.identity = identity;
  if (step.environment !== undefined) spec.environment = step.environment;
  if (step.environmentVariables) spec.environment_variables = step.environmentVariables;
  if (step.resources) spec.resources = step.resources;
  if (step.distribution) spec.distribution = step.distribution;
  if (step.limits) spec.limits = step.limits;
  if (step.retrySettings) spec.retry_settings = step.retrySettings;
  return { spec, identities };
}

/** Earlier completed steps in the workspace that may be reused (children of a force-rerun pipeline never are). */
async function reuseCandidates(
  ctx: ServiceContext,
  workspace: string,
): Promise<Map<string, { c: ReuseCandidate; job: JobRecord }>> {
  const out = new Map<string, { c: ReuseCandidate; job: JobRecord }>();
  for (const j of await ctx.store.jobs.all({ workspace, statuses: ['Completed'] })) {
    const st = j.pipelineStep;
    if (j.status !== 'Completed' || !st || st.reusable === false) continue;
    out.set(j.name, {
      job: j,
      c: {
        jobName: j.name,
        key: st.cacheKey,
        endTime: j.endTime ?? j.modifiedAt,
        step: st.step,
        componentName: st.componentName,
        ...(st.reusedFrom ? { reusedFrom: st.reusedFrom } : {}),
      },
    });
  }
  return out;
}

async function startStep(
  ctx: ServiceContext,
  deps: PipelineDeps,
  pipeline: JobRecord,
  plan: PipelinePlan,
  s: string,
  steps: Record<string, JobRecord | undefined>,
): Promise<void> {
  const step = plan.steps[s] as StepPlan;
  const jobName = stepJobName(pipeline.name, s);
  const { spec, identities } = stepSpec(pipeline, plan, s, steps);
  const key: StepCacheKey = stepCacheKey(step, identities);
  // A sweep step always runs and is never offered for reuse (docs/pipelines.md, "Sweep steps").
  const candidates = await reuseCandidates(ctx, pipeline.workspace);
  const reuse = step.sweep
    ? { reuse: false as const, note: sweepNotReused }
    : decideReuse(
        key,
        s,
        step.componentName,
        [...candidates.values()].map((x) => x.c),
        {
          forceRerun: plan.settings.forceRerun,
          deterministic: step.isDeterministic,
        },
      );
  const state: PipelineStepState = {
    pipeline: pipeline.name,
    step: s,
    componentName: step.componentName,
    cacheKey: key,
    reuse: reuse.note,
    ...(plan.settings.forceRerun || step.sweep ? { reusable: false } : {}),
  };
  const now = ctx.clock.now().toISOString();
  if (reuse.reuse) {
    const original =
      candidates.get(reuse.from)?.job ?? (await ctx.store.jobs.get(pipeline.workspace, reuse.from));
    if (original) {
      await insertReused(ctx, pipeline, step, s, spec, original, { ...state, reusedFrom: reuse.from }, now);
      return;
    }
  }
  const body = {
    spec,
    ...(step.code ? { codeSnapshotId: codeSnapshotOf(step.code, `jobs.${s}.code`) } : {}),
    inputSnapshots: {},
  };
  const trackingUri = (workspace: string) => `${ctx.publicUrl()}/api/workspaces/${workspace}/mlflow`;
  // A sweep step is a sweep job: the sweep loop samples and creates its trials, children of the step.
  const submitted = step.sweep
    ? await submitSweep(
        ctx,
        { snapshots: deps.snapshots, trackingUri, ...(deps.assets ? { assets: deps.assets } : {}) },
        pipeline.workspace,
        jobName,
        body,
      )
    : await submitJob(
        ctx,
        deps.snapshots,
        pipeline.workspace,
        jobName,
        body,
        trackingUri(pipeline.workspace),
        deps.assets,
      );
  // Marked as the pipeline's step right after it is recorded (a pass after a crash in between finds it by name).
  await updateJob(ctx, submitted.job, (j) => ({ ...j, parentJobName: pipeline.name, pipelineStep: state }));
  ctx.wake();
}

/** A reused step: a Completed job that ran nothing and whose outputs are the original run's. */
async function insertReused(
  ctx: ServiceContext,
  pipeline: JobRecord,
  step: StepPlan,
  s: string,
  spec: Record<string, unknown>,
  original: JobRecord,
  state: PipelineStepState,
  now: string,
): Promise<void> {
  const job: JobRecord = {
    name: stepJobName(pipeline.name, s),
    workspace: pipeline.workspace,
    spec,
    run: { ...original.run, env: {}, inputs: [] },
    computeName: step.compute.replace(/^azureml:/, ''),
    experimentName: pipeline.experimentName,
    displayName: step.displayName ?? s,
    status: 'Completed',
    reason: `reused from ${state.reusedFrom ?? ''}`,
    exitCode: 0,
    priority: pipeline.priority,
    queueSeq: await ctx.store.jobs.nextQueueSeq(),
    attempts: [],
    delivered: false,
    cancelRequested: false,
    parentJobName: pipeline.name,
    pipelineStep: state,
    createdAt: now,
    startTime: now,
    endTime: now,
    modifiedAt: now,
    version: 1,
  };
  if (original.outputsSnapshotId) job.outputsSnapshotId = original.outputsSnapshotId;
  if (original.assets) job.assets = original.assets;
  await ctx.store.jobs.insert(job);
  ctx.signals.jobChanged(jobKey(job.workspace, job.name));
}
