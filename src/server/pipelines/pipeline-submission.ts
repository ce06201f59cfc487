import { randomInt } from 'node:crypto';
import { stringify as toYaml } from 'yaml';
import { assetRefText } from '../../domain/assets/asset-refs.js';
import { checkCommandComponent } from '../../domain/assets/component-spec.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import { queuePriority, terminalStates, type JobRecord } from '../../domain/jobs/job-record.js';
import { generateJobName, validateJobName } from '../../domain/jobs/job-names.js';
import { isLocalTarget } from '../../domain/jobs/local-target.js';
import {
  expandPipelineComponents,
  type ComponentLoader,
} from '../../domain/pipelines/pipeline-components.js';
import {
  parsePipelineSpec,
  planPipeline,
  stepJobName,
  type PipelinePlan,
  type ResolvedComponent,
} from '../../domain/pipelines/pipeline-spec.js';
import type { AssetResolution } from '../assets/asset-resolution.js';
import { yamlJobsOf } from '../http/arm/arm-pipeline-body.js';
import { resolveEnvironment } from '../jobs/environment-resolver.js';
import type { JobSubmission, SubmittedJob } from '../jobs/job-submission.js';
import type { ServiceContext } from '../services/service-context.js';
import type { SnapshotService } from '../snapshots/snapshot-service.js';

/** What pipeline submission reads beside the store. */
export interface PipelineDeps {
  snapshots: SnapshotService;
  assets?: AssetResolution;
}

/** The snapshot id of an uploaded folder's URI (`azureml://datastores/workspaceblobstore/paths/snapshots/<id>/`). */
export function codeSnapshotOf(uri: string, field: string): string {
  const m = /^azureml:\/\/datastores\/workspaceblobstore\/paths\/snapshots\/([0-9a-f]{64})\/?$/.exec(uri);
  if (!m?.[1])
    throw new HangarError(
      'ValidationFailed',
      `${field}: '${uri}' is not uploaded code; \`hangar job create\` uploads a step's local code folder (and a component file's) and sends its snapshot URI.`,
      field,
    );
  return m[1];
}

/**
 * A component a step names: registered (`azureml:<name>:<version>`, `azureml:<name>@latest`, pinned
 * here) or inlined by the CLI from a file. `key`: where the YAML named it (a sweep step's `trial`).
 */
async function resolveComponent(
  ctx: ServiceContext,
  workspace: string,
  step: string,
  ref: string | Record<string, unknown>,
  key: 'component' | 'trial' = 'component',
): Promise<ResolvedComponent> {
  const field = `jobs.${step}.${key}`;
  const check = (spec: Record<string, unknown>, via: string) => {
    try {
      return checkCommandComponent(spec);
    } catch (err) {
      if (!(err instanceof HangarError)) throw err;
      const target = `${field}.${(err.target ?? '').replace(/^componentSpec\.?/, '')}`.replace(/\.$/, '');
      throw new HangarError(err.code, `${field} (${via}): ${err.message}`, target);
    }
  };
  if (typeof ref !== 'string') {
    const spec = check(ref, 'component file');
    return { ref: `component file (${spec.name ?? step})`, spec };
  }
  const m = /^azureml:([A-Za-z0-9_.-]+)(?::([A-Za-z0-9_.-]+)|@(latest))$/.exec(ref.trim());
  if (!m?.[1])
    throw new HangarError(
      'ValidationFailed',
      `${field}: '${ref}' must be azureml:<name>:<version>, azureml:<name>@latest, or a component YAML file next to the pipeline (the CLI reads it).`,
      field,
    );
  const name = m[1];
  const record = m[2]
    ? await ctx.store.assets.get('component', workspace, name, m[2])
    : (await ctx.store.assets.all('component', workspace, { name }))[0];
  if (!record)
    throw new HangarError(
      'NotFound',
      `${field}: '${ref}': component '${name}' has no ${m[2] ? `version '${m[2]}'` : 'non-archived version'} in workspace '${workspace}'; see \`hangar component list\`.`,
      field,
    );
  const spec = check(
    (record.doc.componentSpec ?? {}) as Record<string, unknown>,
    assetRefText(name, record.version),
  );
  return { ref: assetRefText(name, record.version), spec };
}

/**
 * The pipeline components the spec's steps name (`type: pipeline`), for their expansion: inlined
 * ones as given, registered ones looked up (`@latest` pinned), their SDK-shaped nodes as YAML steps.
 */
function pipelineComponentLoader(ctx: ServiceContext, workspace: string): ComponentLoader {
  return async (c, field) => {
    if (typeof c !== 'string')
      return {
        ref: `component file (${typeof c.name === 'string' ? c.name : field})`,
        spec: c,
        inline: true,
      };
    const m = /^azureml:([A-Za-z0-9_.-]+)(?::([A-Za-z0-9_.-]+)|@(latest))$/.exec(c.trim());
    if (!m?.[1])
      throw new HangarError(
        'ValidationFailed',
        `${field}: '${c}' must be azureml:<name>:<version>, azureml:<name>@latest, or a pipeline component YAML file next to the pipeline (the CLI reads it).`,
        field,
      );
    const name = m[1];
    const record = m[2]
      ? await ctx.store.assets.get('component', workspace, name, m[2])
      : (await ctx.store.assets.all('component', workspace, { name }))[0];
    if (!record)
      throw new HangarError(
        'NotFound',
        `${field}: '${c}': component '${name}' has no ${m[2] ? `version '${m[2]}'` : 'non-archived version'} in workspace '${workspace}'; see \`hangar component list\`.`,
        field,
      );
    const spec = (record.doc.componentSpec ?? {}) as Record<string, unknown>;
    const jobs = spec.jobs;
    return {
      ref: assetRefText(name, record.version),
      spec:
        jobs && typeof jobs === 'object' && !Array.isArray(jobs)
          ? { ...spec, jobs: yamlJobsOf(jobs as Record<string, unknown>, `${field}.jobs`) }
          : spec,
    };
  };
}

/** Every data reference of the plan resolved now (so an unreadable one is refused at submit), `@latest` pinned. */
async function pinData(deps: PipelineDeps, workspace: string, plan: PipelinePlan): Promise<void> {
  const pinned = new Map<string, string>();
  for (const [name, step] of Object.entries(plan.steps))
    for (const [key, input] of Object.entries(step.inputs)) {
      if (input.kind !== 'data' || /^https?:\/\//.test(input.path)) continue;
      const field = `jobs.${name}.inputs.${key}`;
      if (!/^azureml:/.test(input.path))
        throw new HangarError(
          'ValidationFailed',
          `${field}: '${input.path}' is a local path; \`hangar job create\` uploads it and sends its snapshot URI.`,
          field,
        );
      let path = pinned.get(input.path);
      if (path === undefined) {
        if (!deps.assets)
          throw new HangarError(
            'NotImplemented',
            `${field}: this server cannot resolve '${input.path}'.`,
            field,
          );
        const r = await deps.assets.resolveDataReference(workspace, input.path, { field });
        path =
          r.asset && !input.path.startsWith('azureml://')
            ? assetRefText(r.asset.name, r.asset.version)
            : input.path;
        pinned.set(input.path, path);
      }
      input.path = path;
    }
}

/** Checks what each step needs that exists now: its compute, its code, its environment. */
async function checkSteps(
  ctx: ServiceContext,
  deps: PipelineDeps,
  workspace: string,
  plan: PipelinePlan,
): Promise<void> {
  for (const [name, step] of Object.entries(plan.steps)) {
    const field = `jobs.${name}`;
    if (isLocalTarget(step.compute))
      throw new HangarError(
        'JobCannotRun',
        `${field}.compute: pipeline steps run on a cluster or instance of the workspace, not 'local'.`,
        `${field}.compute`,
      );
    const compute = step.compute.replace(/^azureml:/, '');
    if (!(await ctx.store.computes.get(workspace, compute)))
      throw new HangarError(
        'NotFound',
        `${field}.compute: '${compute}' does not exist in workspace '${workspace}'; see \`hangar compute list\`.`,
        `${field}.compute`,
      );
    if (step.code) await deps.snapshots.getManifest(codeSnapshotOf(step.code, `${field}.code`));
    const env = step.environment;
    await resolveEnvironment(
      ctx.store,
      workspace,
      env && typeof env === 'object' && typeof env.conda_file === 'object'
        ? { ...env, conda_file: toYaml(env.conda_file) }
        : env,
      ctx.config.environmentAliases,
    ).catch((err: unknown) => {
      if (err instanceof HangarError)
        throw new HangarError(err.code, `${field}.environment: ${err.message}`, `${field}.environment`);
      throw err;
    });
  }
}

/**
 * A pipeline job: the plan is checked whole (bindings, graph, components, computes, code, data)
 * so a bad pipeline is refused now, naming the field; then the job is recorded as a controller
 * that runs no command. The pipeline loop creates its steps.
 */
export async function submitPipeline(
  ctx: ServiceContext,
  deps: PipelineDeps,
  workspace: string,
  pathName: string | undefined,
  body: JobSubmission,
): Promise<SubmittedJob> {
  if (!(await ctx.store.workspaces.get(workspace)))
    throw new HangarError('NotFound', `Workspace '${workspace}' does not exist.`, 'workspace');
  if (body.codeSnapshotId || Object.keys(body.inputSnapshots).length > 0)
    throw new HangarError(
      'ValidationFailed',
      'codeSnapshotId/inputSnapshots: a pipeline names its uploads inside the spec (snapshot URIs per step and input); submit with `hangar job create`.',
      'codeSnapshotId',
    );
  // Pipeline component steps become their inner steps (`<step>_<inner>`): one flat plan (docs/pipelines.md).
  const expanded = await expandPipelineComponents(body.spec, pipelineComponentLoader(ctx, workspace));
  const { spec, steps } = parsePipelineSpec(expanded);
  const name = pathName ?? spec.name ?? generateJobName(() => randomInt(0, 1_000_000) / 1_000_000);
  validateJobName(name);
  for (const step of Object.keys(steps)) {
    const stepName = stepJobName(name, step);
    validateJobName(stepName);
    // A step job is found by its name: a job already called so would be taken for the step.
    if (await ctx.store.jobs.get(workspace, stepName))
      throw new HangarError(
        'NameConflict',
        `jobs.${step}: its step job would be '${stepName}', which already exists in workspace '${workspace}'; give the pipeline another name.`,
        `jobs.${step}`,
      );
  }
  const components: Record<string, ResolvedComponent> = {};
  for (const [step, s] of Object.entries(steps))
    if (s.component !== undefined)
      components[step] = await resolveComponent(
        ctx,
        workspace,
        step,
        s.component,
        s.sweep ? 'trial' : 'component',
      );
  const plan = planPipeline(spec, steps, components);
  await pinData(deps, workspace, plan);
  await checkSteps(ctx, deps, workspace, plan);
  const now = ctx.clock.now().toISOString();
  const first = plan.order[0] ?? '';
  const job: JobRecord = {
    name,
    workspace,
    spec: { ...body.spec, name },
    // A controller runs nothing itself; this run spec is never delivered.
    run: {
      command: '',
      environment: { kind: 'user-managed' },
      env: {},
      inputs: [],
      instanceCount: 1,
      maxAttempts: 1,
    },
    computeName: (plan.settings.defaultCompute ?? spec.compute ?? plan.steps[first]?.compute ?? '').replace(
      /^azureml:/,
      '',
    ),
    experimentName: spec.experiment_name ?? 'Default',
    status: 'NotStarted',
    reason: 'waiting for the pipeline controller to start its steps',
    priority: queuePriority.medium,
    queueSeq: await ctx.store.jobs.nextQueueSeq(),
    attempts: [],
    delivered: false,
    cancelRequested: false,
    controller: 'pipeline',
    pipeline: { plan },
    createdAt: now,
    modifiedAt: now,
    version: 1,
  };
  if (spec.display_name) job.displayName = spec.display_name;
  await ctx.store.jobs.insert(job);
  return { job };
}

/** Cancel of a pipeline: asked on the pipeline; its loop cancels the steps and then ends it Canceled. */
export function requestPipelineCancel(job: JobRecord, now: Date): JobRecord | undefined {
  if (terminalStates.has(job.status) || job.cancelRequested) return undefined;
  return {
    ...job,
    cancelRequested: true,
    status: 'CancelRequested',
    reason: 'cancel requested; stopping its steps',
    modifiedAt: now.toISOString(),
  };
}
