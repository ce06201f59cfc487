import { HangarError } from '../../../domain/errors/hangar-error.js';
import type { JobRecord } from '../../../domain/jobs/job-record.js';
import { toJobResource } from '../../../domain/jobs/job-view.js';
import { pageRequest } from '../paging.js';
import { action, type RouteDef, type RouteInput } from '../route-def.js';
import { nativeUri } from './arm-asset-routes.js';
import { readCodeVersion } from './arm-code-routes.js';
import { specOfArmJob, restInput, restOutput, restSweep } from './arm-job-body.js';
import { workspaceId, WS } from './arm-paths.js';

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

/** Command and sweep jobs in ARM's paths: submit (PUT), get, list, cancel; over the native job service. */
export const armJobRoutes: RouteDef[] = [
  {
    method: 'put',
    path: `${WS}/jobs/{name}`,
    action: action('workspaces/jobs/write'),
    tag,
    summary: 'Submit a command or sweep job (ARM body; pipeline jobs are refused)',
    handler: async (input) => {
      const ws = input.params.workspace ?? '';
      const name = input.params.name ?? '';
      const { spec, codeId } = specOfArmJob(input.body);
      const code = codeId ? readCodeVersion(input.services, ws, codeId) : undefined;
      // Local files the SDK uploaded as inputs are snapshots of the uploaded blobs here.
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
      await input.services.jobs.submit(ws, name, {
        spec,
        ...(code ? { codeSnapshotId: code.snapshotId } : {}),
        inputSnapshots: {},
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
    summary: 'Cancel a job (202; the job shows CancelRequested, then Canceled)',
    handler: async (input) => {
      await input.services.jobs.cancel(input.params.workspace ?? '', input.params.name ?? '');
      return { status: 202 };
    },
  },
];
