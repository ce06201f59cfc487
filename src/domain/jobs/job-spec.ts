import { z } from 'zod';
import { HangarError, throwIfProblems } from '../errors/hangar-error.js';
import { zodProblems } from '../errors/zod-problems.js';
import { fileInputTypes } from './job-inputs.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const stringMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

/**
 * A file, folder or model input: a local path (uploaded at submit), `azureml:<name>:<version>`,
 * `azureml:<name>@latest`, `azureml://datastores/…/paths/…`, `azureml://jobs/…/outputs/…` or an
 * https:// file; `mode` says how the job reads it (see job-inputs.ts).
 */
const uriInput = z.strictObject({
  type: z.enum(fileInputTypes),
  path: z.string().min(1),
  mode: z.enum(['ro_mount', 'rw_mount', 'download', 'direct']).optional(),
  description: z.string().optional(),
  optional: z.boolean().optional(),
});
/** A typed literal input, as az ml writes `{type: integer, default: 3}`. */
const typedLiteral = z.strictObject({
  type: z.enum(['string', 'integer', 'number', 'boolean']),
  default: scalar.optional(),
  value: scalar.optional(),
  description: z.string().optional(),
  optional: z.boolean().optional(),
});
const inputSchema = z.union([scalar, uriInput, typedLiteral]);

const outputObject = z.strictObject({
  type: z
    .enum(['uri_folder', 'uri_file', 'mltable', 'mlflow_model', 'custom_model', 'triton_model'])
    .default('uri_folder'),
  mode: z.enum(['rw_mount', 'upload', 'direct']).optional(),
  path: z.string().optional(),
  /** With `name`, the output is registered as a data (uri_*, mltable) or model (*_model) version when the job completes. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/, 'asset names are letters, digits, ., _ and -')
    .optional(),
  version: z.union([z.string(), z.number()]).transform(String).optional(),
  description: z.string().optional(),
});
/** An output; a bare `model:` (null) is, as in az ml, a default uri_folder output. */
const outputSchema = z.union([outputObject, z.null().transform(() => outputObject.parse({}))]);

const inlineEnvironment = z.strictObject({
  name: z.string().optional(),
  version: z.union([z.string(), z.number()]).transform(String).optional(),
  description: z.string().optional(),
  image: z.string().min(1).optional(),
  /** A path (the CLI inlines the file's text) or the conda spec itself. */
  conda_file: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  tags: stringMap.optional(),
});

/**
 * The az ml v2 command job (YAML ↔ JSON), strict: an unknown field is an error naming it.
 * The one source of truth for validating jobs and for their OpenAPI description.
 */
export const jobSpecSchema = z.strictObject({
  $schema: z.string().optional(),
  type: z.literal('command').default('command'),
  name: z.string().optional(),
  display_name: z.string().optional(),
  experiment_name: z.string().min(1).max(255).optional(),
  description: z.string().optional(),
  tags: stringMap.optional(),
  code: z.string().min(1).optional(),
  command: z.string().min(1),
  inputs: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'input names are letters, digits and _'),
      inputSchema,
    )
    .optional(),
  outputs: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'output names are letters, digits and _'),
      outputSchema,
    )
    .optional(),
  environment: z.union([z.string().min(1), inlineEnvironment]).optional(),
  compute: z.string().min(1).optional(),
  environment_variables: stringMap.optional(),
  limits: z.strictObject({ timeout: z.number().int().positive() }).optional(),
  resources: z
    .strictObject({
      instance_count: z.number().int().min(1).default(1),
      instance_type: z.string().optional(),
      shm_size: z.string().optional(),
      properties: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  /** Accepted as az ml does: max_retries + 1 attempts (timeout per attempt not supported). */
  retry_settings: z
    .strictObject({
      max_retries: z.number().int().min(0).max(10),
      timeout: z.number().int().positive().optional(),
    })
    .optional(),
  distribution: z.record(z.string(), z.unknown()).optional(),
  identity: z.record(z.string(), z.unknown()).optional(),
  services: z.record(z.string(), z.unknown()).optional(),
  /** az ml v2 queue settings: `priority` orders the queue (high before medium before low, FIFO within). */
  queue_settings: z
    .strictObject({
      job_tier: z
        .enum(['null', 'spot', 'basic', 'standard', 'premium', 'Spot', 'Basic', 'Standard', 'Premium'])
        .optional(),
      priority: z.enum(['low', 'medium', 'high']).optional(),
    })
    .optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
});

/** A validated job spec. */
export type JobSpec = z.infer<typeof jobSpecSchema>;
/** One input of a job spec. */
export type JobInput = z.infer<typeof inputSchema>;

/** az ml v2 job types Hangar does not run yet, and what each one is called in a sentence. */
const unsupportedJobTypes: Readonly<Record<string, string>> = {
  automl: 'AutoML jobs',
  parallel: 'Parallel jobs',
  spark: 'Spark jobs',
};

/** Validates a job spec, reporting every problem with its dotted field path. */
export function parseJobSpec(raw: unknown): JobSpec {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new HangarError(
      'ValidationFailed',
      'The job spec must be a mapping of az ml command job fields.',
      '(body)',
    );
  const type = (raw as { type?: unknown }).type;
  if (typeof type === 'string' && Object.hasOwn(unsupportedJobTypes, type))
    throw new HangarError(
      'NotImplemented',
      `${unsupportedJobTypes[type]} (type: ${type}) are not supported by Hangar yet; see docs/azure-ml-compatibility.md.`,
      'type',
    );
  const r = jobSpecSchema.safeParse(raw);
  if (!r.success) throwIfProblems(zodProblems(r.error, raw));
  const spec = r.data as JobSpec;
  refuseServices(spec.services);
  if (spec.code?.startsWith('azureml:'))
    throw new HangarError(
      'ValidationFailed',
      `code: '${spec.code}' names a registered code asset; give a local folder here.`,
      'code',
    );
  return spec;
}

/** az ml's interactive job services, and why a job node of Hangar cannot offer each yet. */
const jobServiceTypes: Readonly<Record<string, string>> = {
  jupyter_lab: 'JupyterLab',
  vs_code: 'VS Code',
  tensor_board: 'TensorBoard',
  ssh: 'SSH',
};

/**
 * `services:` of a command job: every entry is refused naming it (services.<name>), never
 * accepted and dropped. Job nodes run no app gateway nor SSH server (compute instances do), so an
 * interactive service of a running job would have nowhere to live.
 */
function refuseServices(services: Record<string, unknown> | undefined): void {
  for (const [name, raw] of Object.entries(services ?? {})) {
    const type = raw !== null && typeof raw === 'object' ? (raw as { type?: unknown }).type : undefined;
    if (typeof type !== 'string' || !Object.hasOwn(jobServiceTypes, type))
      throw new HangarError(
        'ValidationFailed',
        `services.${name}.type: must be one of ${Object.keys(jobServiceTypes).join(', ')}; got ${JSON.stringify(type ?? null)}`,
        `services.${name}.type`,
      );
    throw new HangarError(
      'NotImplemented',
      `services.${name}: a ${jobServiceTypes[type]} service (type: ${type}) on a command job is not supported by Hangar yet: job nodes run no app gateway or SSH server (compute instances do: SSH with hangar compute connect-ssh, JupyterLab in the studio); submit the job without services.`,
      `services.${name}`,
    );
  }
}

/** The literal value of an input (typed literals give value ?? default). */
export function literalValue(input: JobInput): string | number | boolean | undefined {
  if (typeof input !== 'object') return input;
  if ('path' in input) return undefined;
  return input.value ?? input.default;
}
