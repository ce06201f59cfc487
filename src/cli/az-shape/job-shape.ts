import { compact, snakeDeep } from './snake-case.js';

type Doc = Record<string, unknown>;

/** A job as the API answers it (Azure's JobBase envelope with Hangar's additions). */
export interface JobEnvelope {
  id: string;
  name: string;
  properties: Doc;
  systemData?: { createdAt?: string; lastModifiedAt?: string };
}

/** Envelope fields the shape places itself; any other property passes through snake_cased. */
const placed = new Set([
  'jobType',
  'status',
  'displayName',
  'experimentName',
  'description',
  'tags',
  'properties',
  'computeId',
  'command',
  'environmentId',
  'environmentVariables',
  'inputs',
  'outputs',
  'limits',
  'resources',
  'codeId',
  'mlflow',
  'isArchived',
  'parentJobName',
  'services',
]);

/** The server's base URL, from the job's MLflow tracking URI (`<server>/api/workspaces/<ws>/mlflow`). */
function serverOf(trackingUri: unknown): string | undefined {
  if (typeof trackingUri !== 'string') return undefined;
  const at = trackingUri.indexOf('/api/workspaces/');
  return at < 0 ? undefined : trackingUri.slice(0, at);
}

/**
 * A job's services as az ml shows them: `Studio` (the studio page, what `--query
 * services.Studio.endpoint` scripts read) and `Tracking` (MLflow), plus the job's own services.
 */
function servicesOf(job: JobEnvelope): Doc {
  const p = job.properties;
  const tracking = (p.mlflow as Doc | undefined)?.trackingUri;
  const server = serverOf(tracking);
  const own = (p.services ?? {}) as Doc;
  return compact({
    Studio: server
      ? { endpoint: `${server}/jobs/${encodeURIComponent(job.name)}`, job_service_type: 'Studio' }
      : undefined,
    Tracking: tracking ? { endpoint: tracking, job_service_type: 'Tracking' } : undefined,
    ...(snakeDeep(own) as Doc),
  });
}

/**
 * The job as `az ml job show` prints it: the YAML keys (`type: command`, `display_name`,
 * `experiment_name`, `compute: azureml:<name>`, `command`, `environment`, `inputs`, `outputs`,
 * `resources`, `limits`, `tags`, `properties`) plus `status`, `services` and `creation_context`,
 * flat and snake_case; Hangar's own fields (`status_reason`, `exit_code`, `attempts`, …) beside them.
 */
export function jobShape(job: JobEnvelope): Doc {
  const p = job.properties;
  const extra = Object.fromEntries(
    Object.entries(p)
      .filter(([k]) => !placed.has(k))
      .map(([k, v]) => [k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase(), snakeDeep(v)]),
  );
  return compact({
    name: job.name,
    id: job.id,
    type: typeof p.jobType === 'string' ? p.jobType.toLowerCase() : 'command',
    display_name: p.displayName,
    description: p.description,
    tags: p.tags ?? {},
    properties: p.properties ?? {},
    status: p.status,
    experiment_name: p.experimentName,
    compute: typeof p.computeId === 'string' ? `azureml:${p.computeId}` : undefined,
    command: p.command,
    code: p.codeId,
    environment: p.environmentId,
    environment_variables: p.environmentVariables,
    inputs: p.inputs,
    outputs: p.outputs,
    limits: p.limits,
    resources: p.resources,
    parent_job_name: p.parentJobName,
    is_archived: p.isArchived === true ? true : undefined,
    services: servicesOf(job),
    creation_context: compact({
      created_at: job.systemData?.createdAt,
      last_modified_at: job.systemData?.lastModifiedAt,
    }),
    ...compact(extra),
  });
}
