import { HangarError } from '../../../domain/errors/hangar-error.js';
import { terminalStates, type JobRecord } from '../../../domain/jobs/job-record.js';
import { toJobResource } from '../../../domain/jobs/job-view.js';
import { pageRequest } from '../paging.js';
import { action, type RouteDef, type RouteInput } from '../route-def.js';
import { nativeUri } from './arm-asset-routes.js';
import { readCodeVersion } from './arm-code-routes.js';
import { specOfArmJob, restInput, restOutput, restSweep } from './arm-job-body.js';
import {
  armPipelineError,
  pipelineComponentOf,
  pipelineSpecOf,
  restPipeline,
  withComponentGraph,
  withComponentPorts,
} from './arm-pipeline-body.js';
import { workspaceId, workspaceUrlPath, WS } from './arm-paths.js';

const tag = 'Azure ML (ARM)';

/** A job as the SDK reads it: REST inputs/outputs, ARM ids, `status`, and `services` (an object, never null). */
function armJob(input: RouteInput, job: JobRecord): unknown {
  const ws = job.workspace;
  const native = toJobResource(job, input.services.jobs.trackingUri(ws));
  const p = native.properties;
  const wsId = workspaceId(input);
  const host = new URL(input.baseUrl).host;
  const properties: Record<string, unknown> = {
    jobType: 'Command',
    status: p.status,
    displayName: p.displayName,
    experimentName: p.experimentName ?? 'Default',
    description: p.description,
    tags: p.tags,
    properties: Object.fromEntries(
      Object.entries((p.properties as Record<string, unknown>) ?? {}).map(([k, v]) => [k, String(v)]),
    ),
    isArchived: p.isArchived,
    computeId: `${wsId}/computes/${job.computeName}`,
    command: p.command,
    environmentId:
      typeof job.spec.environment === 'string'
        ? job.spec.environment
        : `azureml:${String(p.environmentId ?? '')}`,
    environmentVariables: p.environmentVariables,
    inputs: Object.fromEntries(Object.entries(job.spec.inputs ?? {}).map(([k, v]) => [k, restInput(v)])),
    outputs: Object.fromEntries(Object.entries(job.spec.outputs ?? {}).map(([k, v]) => [k, restOutput(v)])),
    resources: { instanceCount: job.run.instanceCount },
    codeId: typeof p.codeId === 'string' ? `${wsId}/codes/snapshot/versions/${p.codeId}` : undefined,
    services: {
      Studio: { jobServiceType: 'Studio', endpoint: `${input.baseUrl}/jobs/${job.name}?wsid=${wsId}` },
      Tracking: { jobServiceType: 'Tracking', endpoint: `azureml://${host}/mlflow/v1.0${wsId}?` },
    },
  };
  // A sweep reads back as the SDK's SweepJob: the command fields move under `trial`.
  if (job.sweep) {
    const trial: Record<string, unknown> = {};
    for (const key of ['command', 'codeId', 'environmentId', 'environmentVariables', 'resources']) {
      trial[key] = properties[key];
      delete properties[key];
    }
    const spec = (job.spec.trial ?? {}) as { command?: unknown; environment?: unknown };
    trial.command = spec.command;
    if (typeof spec.environment === 'string') trial.environmentId = spec.environment;
    Object.assign(properties, { jobType: 'Sweep', trial, ...restSweep(job.sweep.config) });
  }
  // A pipeline reads back as the SDK's PipelineJob: its steps as nodes, no command of its own.
  if (job.controller === 'pipeline') {
    for (const key of ['command', 'environmentId', 'environmentVariables', 'resources', 'codeId'])
      delete properties[key];
    if (!job.computeName) delete properties.computeId;
    Object.assign(properties, restPipeline(job.spec, job.pipeline?.plan, wsId));
  }
  for (const key of Object.keys(properties)) if (properties[key] === undefined) delete properties[key];
  return {
    id: `${wsId}/jobs/${job.name}`,
    name: job.name,
    type: native.type,
    properties,
    systemData: native.systemData,
  };
}

const views = new Set(['ActiveOnly', 'ArchivedOnly', 'All']);

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A Pipeline body as the native pipeline spec, its uploaded data inputs (pipeline and step level) as snapshots. */
async function pipelineSpecOfArm(input: RouteInput, ws: string): Promise<Json> {
  const props = isObj(input.body) && isObj(input.body.properties) ? input.body.properties : {};
  // A job of a registered pipeline component: its graph and ports where the body leaves them out.
  const component = await pipelineComponentOf(props, async (ref) => {
    const [, name = '', version = 'latest'] = /^azureml:([^:@]+)(?::|@)(.+)$/.exec(ref) ?? [];
    return (await input.services.assets.getVersion(ws, 'component', name, version)).doc;
  });
  const spec = withComponentPorts(pipelineSpecOf(withComponentGraph(props, component)), component);
  const upload = async (ports: unknown, field: string): Promise<void> => {
    for (const [key, v] of Object.entries(isObj(ports) ? ports : {}))
      if (isObj(v) && typeof v.path === 'string' && !v.path.includes('${{'))
        v.path = await nativeUri(input.services, ws, v.path, `${field}.${key}.uri`);
  };
  await upload(spec.inputs, 'properties.inputs');
  for (const [step, node] of Object.entries(isObj(spec.jobs) ? spec.jobs : {}))
    await upload(isObj(node) ? node.inputs : undefined, `properties.jobs.${step}.inputs`);
  return spec;
}

/** Command, sweep and pipeline jobs in ARM's paths: submit (PUT), get, list, cancel; over the native job service. */
export const armJobRoutes: RouteDef[] = [
  {
    method: 'put',
    path: `${WS}/jobs/{name}`,
    action: action('workspaces/jobs/write'),
    tag,
    summary: 'Submit a command, sweep or pipeline job (ARM body)',
    handler: async (input) => {
      const ws = input.params.workspace ?? '';
      const name = input.params.name ?? '';
      const jobType = isObj(input.body) && isObj(input.body.properties) ? input.body.properties.jobType : '';
      const pipeline = jobType === 'Pipeline';
      const { spec, codeId } = pipeline
        ? { spec: await pipelineSpecOfArm(input, ws), codeId: undefined }
        : specOfArmJob(input.body);
      const code = codeId ? readCodeVersion(input.services, ws, codeId) : undefined;
      // Local files the SDK uploaded as inputs are snapshots of the uploaded blobs here.
      if (!pipeline)
        for (const [key, value] of Object.entries((spec.inputs ?? {}) as Record<string, unknown>)) {
          const v = value as { path?: unknown } | null;
          if (v && typeof v === 'object' && typeof v.path === 'string')
            v.path = await nativeUri(input.services, ws, v.path, `properties.inputs.${key}.uri`);
        }
      try {
        await input.services.jobs.get(ws, name);
        throw new HangarError(
          'Conflict',
          `Job '${name}' already exists in workspace '${ws}'; job names are unique.`,
          'name',
        );
      } catch (err) {
        if (!(err instanceof HangarError && err.code === 'NotFound')) throw err;
      }
      await input.services.jobs
        .submit(ws, name, {
          spec,
          ...(code ? { codeSnapshotId: code.snapshotId } : {}),
          inputSnapshots: {},
        })
        .catch((err: unknown) => {
          // The pipeline parser names YAML fields (`jobs.a.inputs.x`); the SDK sent them under `properties`.
          throw pipeline && err instanceof HangarError ? armPipelineError(err) : err;
        });
      return { status: 201, body: armJob(input, await input.services.jobs.get(ws, name)) };
    },
  },
  {
    method: 'get',
    path: `${WS}/jobs/{name}`,
    action: action('workspaces/jobs/read'),
    tag,
    summary: 'Get a job (ARM shape)',
    handler: async (input) => ({
      status: 200,
      body: armJob(
        input,
        await input.services.jobs.get(input.params.workspace ?? '', input.params.name ?? ''),
      ),
    }),
  },
  {
    method: 'get',
    path: `${WS}/jobs`,
    action: action('workspaces/jobs/read'),
    tag,
    summary: 'List jobs (listViewType: ActiveOnly, ArchivedOnly, All)',
    handler: async (input) => {
      const view = input.query.listViewType ?? 'ActiveOnly';
      if (!views.has(view))
        throw new HangarError(
          'ValidationFailed',
          `listViewType: must be ActiveOnly, ArchivedOnly or All; got '${view}'.`,
          'listViewType',
        );
      const ws = input.params.workspace ?? '';
      const page = await input.services.jobs.list(
        ws,
        { view: view as 'ActiveOnly' },
        pageRequest({ ...input.query, $top: input.query.$top ?? '100' }),
      );
      // Ranks of multi-node jobs are internal: the SDK lists the jobs users submitted.
      const items = page.items.filter((j) => !j.gang || j.gang.parent === undefined);
      return { status: 200, body: { value: items.map((j) => armJob(input, j)), nextLink: null } };
    },
  },
  {
    method: 'post',
    path: `${WS}/jobs/{name}/cancel`,
    action: action('workspaces/jobs/cancel/action'),
    tag,
    summary: 'Cancel a job (long-running: 202 + Location, done when the job is Canceled)',
    handler: async (input) => {
      await input.services.jobs.cancel(input.params.workspace ?? '', input.params.name ?? '');
      // As on Azure: a Location to poll; without it the TypeScript client's poller ends at once.
      const location = `${input.baseUrl}${workspaceUrlPath(input)}/jobs/${encodeURIComponent(input.params.name ?? '')}/cancelOperation`;
      return { status: 202, headers: { Location: location, 'Retry-After': '1' } };
    },
  },
  {
    method: 'get',
    path: `${WS}/jobs/{name}/cancelOperation`,
    action: action('workspaces/jobs/read'),
    tag,
    summary: 'Status of a job cancellation (Location target: 202 until the job has finished, then 200)',
    handler: async (input) => {
      const job = await input.services.jobs.get(input.params.workspace ?? '', input.params.name ?? '');
      return terminalStates.has(job.status)
        ? { status: 200 }
        : { status: 202, headers: { 'Retry-After': '1' } };
    },
  },
];
