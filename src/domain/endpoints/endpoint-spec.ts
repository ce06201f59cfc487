import { z } from 'zod';
import { HangarError, throwIfProblems, type Problem } from '../errors/hangar-error.js';
import { zodProblems } from '../errors/zod-problems.js';

/** Endpoint (and deployment) names: a letter first, 3–32 letters, digits and single '-' (Azure's rule). */
export const endpointNamePattern = /^[A-Za-z](?:[A-Za-z0-9]|-(?!-)){1,30}[A-Za-z0-9]$/;

const nameRule = (what: string) =>
  z
    .string()
    .regex(
      endpointNamePattern,
      `${what} names start with a letter, have 3 to 32 characters (letters, digits and single '-') and end with a letter or digit`,
    );

const percent = z.number().int('must be a whole percentage').min(0).max(100);

/** az ml's `managedOnlineEndpoint`/`kubernetesOnlineEndpoint` YAML (read-only fields accepted and ignored). */
export const endpointSpecSchema = z
  .object({
    $schema: z.string().optional(),
    name: nameRule('endpoint'),
    description: z.string().optional(),
    tags: z.record(z.string(), z.coerce.string()).optional(),
    auth_mode: z.enum(['key', 'aml_token', 'aad_token']).default('key'),
    compute: z.string().optional(),
    identity: z.record(z.string(), z.unknown()).optional(),
    traffic: z.record(z.string(), percent).optional(),
    mirror_traffic: z.record(z.string(), percent).optional(),
    public_network_access: z.enum(['enabled', 'disabled']).default('enabled'),
    kind: z.string().optional(),
    scoring_uri: z.unknown().optional(),
    swagger_uri: z.unknown().optional(),
    provisioning_state: z.unknown().optional(),
    id: z.unknown().optional(),
    location: z.unknown().optional(),
  })
  .strict();
export type EndpointSpec = z.output<typeof endpointSpecSchema>;

/** A probe (liveness or readiness); seconds, as the YAML has them. */
export const probeSchema = z
  .object({
    initial_delay: z.number().int().min(0).default(10),
    period: z.number().int().min(1).default(10),
    timeout: z.number().int().min(1).default(2),
    success_threshold: z.number().int().min(1).default(1),
    failure_threshold: z.number().int().min(1).default(30),
  })
  .strict();
export type ProbeSettings = z.output<typeof probeSchema>;

const requestSettingsSchema = z
  .object({
    request_timeout_ms: z.number().int().min(1).max(300_000).default(5000),
    max_concurrent_requests_per_instance: z.number().int().min(1).max(1000).default(1),
    max_queue_wait_ms: z.number().int().min(0).max(300_000).default(500),
  })
  .strict();
export type RequestSettings = z.output<typeof requestSettingsSchema>;

const scaleSettingsSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('default') }).strict(),
  z
    .object({
      type: z.literal('target_utilization'),
      min_instances: z.number().int().min(0).max(50).default(1),
      max_instances: z.number().int().min(1).max(50).default(1),
      target_utilization_percentage: z.number().int().min(1).max(100).default(70),
      polling_interval: z.number().int().min(1).max(3600).default(1),
      /** Hangar's opt-in beyond Azure: with min_instances 0, idle replicas stop and a request starts one. */
      hangar_scale_to_zero: z.boolean().optional(),
    })
    .strict(),
]);
export type ScaleSettings = z.output<typeof scaleSettingsSchema>;

const inlineModelSchema = z
  .object({
    path: z.string(),
    name: z.string().optional(),
    version: z.coerce.string().optional(),
    type: z.string().optional(),
    description: z.string().optional(),
  })
  .strict();

/**
 * az ml's `managedOnlineDeployment` and `kubernetesOnlineDeployment` YAML. On the API, `model` and
 * `code_configuration.code` are references the server can read (`azureml:<name>:<version>` or a
 * workspaceblobstore snapshot URI): the CLI uploads local folders first, as it does for jobs.
 */
export const deploymentSpecSchema = z
  .object({
    $schema: z.string().optional(),
    name: nameRule('deployment'),
    endpoint_name: nameRule('endpoint'),
    type: z.enum(['managed', 'kubernetes']).optional(),
    description: z.string().optional(),
    tags: z.record(z.string(), z.coerce.string()).optional(),
    model: z.union([z.string().min(1), inlineModelSchema]).optional(),
    model_mount_path: z.string().optional(),
    code_configuration: z
      .object({ code: z.string().min(1), scoring_script: z.string().min(1) })
      .strict()
      .optional(),
    environment: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
    environment_variables: z.record(z.string(), z.coerce.string()).optional(),
    instance_type: z.string().optional(),
    instance_count: z.number().int().min(0).max(50).optional(),
    app_insights_enabled: z.boolean().default(false),
    scale_settings: scaleSettingsSchema.optional(),
    request_settings: requestSettingsSchema.optional(),
    liveness_probe: probeSchema.optional(),
    readiness_probe: probeSchema.optional(),
    compute: z.string().optional(),
    resources: z.record(z.string(), z.unknown()).optional(),
    data_collector: z.record(z.string(), z.unknown()).optional(),
    egress_public_network_access: z.enum(['enabled', 'disabled']).optional(),
    provisioning_state: z.unknown().optional(),
    id: z.unknown().optional(),
  })
  .strict();
export type DeploymentSpecInput = z.output<typeof deploymentSpecSchema>;

/** A deployment with every default filled as its kind has them. */
export interface DeploymentSpec extends DeploymentSpecInput {
  type: 'managed' | 'kubernetes';
  instance_count: number;
  scale_settings: ScaleSettings;
  request_settings: RequestSettings;
  liveness_probe: ProbeSettings;
  readiness_probe: ProbeSettings;
}

function mapping(raw: unknown, what: string): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new HangarError(
      'ValidationFailed',
      `The ${what} must be a mapping of az ml YAML fields.`,
      '(body)',
    );
  return raw as Record<string, unknown>;
}

/** Parses an endpoint spec, naming each broken field with its rule and value. */
export function parseEndpointSpec(raw: unknown): EndpointSpec {
  const r = endpointSpecSchema.safeParse(mapping(raw, 'endpoint'));
  if (!r.success) throwIfProblems(zodProblems(r.error, raw));
  const spec = r.data as EndpointSpec;
  if (spec.auth_mode === 'aad_token')
    throw new HangarError(
      'ValidationFailed',
      "auth_mode: 'aad_token' needs Microsoft Entra ID, which Hangar does not have; use key or aml_token.",
      'auth_mode',
    );
  throwIfProblems([
    ...trafficProblems(spec.traffic ?? {}, 'traffic'),
    ...mirrorProblems(spec.mirror_traffic ?? {}, spec.traffic ?? {}),
  ]);
  return spec;
}

/** Weights must sum to 0 or 100 (Azure's rule). */
export function trafficProblems(traffic: Record<string, number>, field: string): Problem[] {
  const sum = Object.values(traffic).reduce((a, b) => a + b, 0);
  if (sum === 0 || sum === 100) return [];
  return [
    {
      code: 'ValidationFailed',
      target: field,
      message: `${field}: the weights must sum to 0 or 100; got ${Object.entries(traffic)
        .map(([d, w]) => `${d}=${w}`)
        .join(' ')} (sum ${sum})`,
    },
  ];
}

/** Mirror traffic: one deployment, at most 50 %, and not one that takes live traffic. */
export function mirrorProblems(mirror: Record<string, number>, traffic: Record<string, number>): Problem[] {
  const entries = Object.entries(mirror).filter(([, w]) => w > 0);
  const problems: Problem[] = [];
  if (entries.length > 1)
    problems.push({
      code: 'ValidationFailed',
      target: 'mirror_traffic',
      message: `mirror_traffic: at most one deployment may get mirrored traffic; got ${entries.map(([d]) => d).join(', ')}`,
    });
  for (const [d, w] of entries) {
    if (w > 50)
      problems.push({
        code: 'ValidationFailed',
        target: `mirror_traffic.${d}`,
        message: `mirror_traffic.${d}: at most 50 percent may be mirrored; got ${w}`,
      });
    if ((traffic[d] ?? 0) > 0)
      problems.push({
        code: 'ValidationFailed',
        target: `mirror_traffic.${d}`,
        message: `mirror_traffic.${d}: deployment '${d}' takes live traffic (${traffic[d]}); a deployment gets live or mirrored traffic, not both`,
      });
  }
  return problems;
}

/** Checks traffic and mirror weights name deployments that exist. */
export function unknownDeploymentProblems(
  weights: Record<string, number>,
  field: string,
  deployments: readonly string[],
): Problem[] {
  const known = new Set(deployments.map((d) => d.toLowerCase()));
  return Object.keys(weights)
    .filter((d) => !known.has(d.toLowerCase()))
    .map((d) => ({
      code: 'ValidationFailed' as const,
      target: `${field}.${d}`,
      message: `${field}.${d}: deployment '${d}' does not exist under this endpoint (it has ${deployments.length > 0 ? deployments.join(', ') : 'none'})`,
    }));
}

/**
 * Parses a deployment spec and fills its kind's defaults: managed needs `instance_type` and
 * `instance_count` and scales by `default`; Kubernetes defaults to `target_utilization` (1..1).
 */
export function parseDeploymentSpec(raw: unknown): DeploymentSpec {
  const r = deploymentSpecSchema.safeParse(mapping(raw, 'deployment'));
  if (!r.success) throwIfProblems(zodProblems(r.error, raw));
  const spec = r.data as DeploymentSpecInput;
  const type = spec.type ?? (spec.compute ? 'kubernetes' : 'managed');
  const problems: Problem[] = [];
  // Scale to zero is Hangar's opt-in for managed deployments too: the one target_utilization they take.
  const optsInToZero =
    spec.scale_settings?.type === 'target_utilization' && spec.scale_settings.hangar_scale_to_zero === true;
  if (type === 'managed') {
    if (!spec.instance_type)
      problems.push({
        code: 'ValidationFailed',
        target: 'instance_type',
        message:
          'instance_type: required for a managed online deployment (e.g. Standard_DS3_v2); got nothing',
      });
    if (spec.instance_count === undefined && !optsInToZero)
      problems.push({
        code: 'ValidationFailed',
        target: 'instance_count',
        message: 'instance_count: required for a managed online deployment; got nothing',
      });
    if (spec.scale_settings?.type === 'target_utilization' && !optsInToZero)
      problems.push({
        code: 'ValidationFailed',
        target: 'scale_settings.type',
        message:
          "scale_settings.type: managed online deployments take only 'default' (Azure scales them with monitor rules), or target_utilization with Hangar's scale to zero (min_instances: 0, hangar_scale_to_zero: true); got 'target_utilization'",
      });
  }
  if (!spec.environment && !spec.model)
    problems.push({
      code: 'ValidationFailed',
      target: 'environment',
      message: 'environment: required (azureml:<name>:<version> or an inline environment); got nothing',
    });
  if (!spec.code_configuration)
    problems.push({
      code: 'ValidationFailed',
      target: 'code_configuration',
      message:
        'code_configuration: required here (code and scoring_script); Hangar has no no-code (MLflow) deployments yet; got nothing',
    });
  const scale: ScaleSettings =
    spec.scale_settings ??
    (type === 'kubernetes' && spec.instance_count === undefined
      ? {
          type: 'target_utilization',
          min_instances: 1,
          max_instances: 1,
          target_utilization_percentage: 70,
          polling_interval: 1,
        }
      : { type: 'default' });
  const toZero = scale.type === 'target_utilization' && scale.hangar_scale_to_zero === true;
  if (scale.type === 'target_utilization' && scale.min_instances < 1 && !toZero)
    problems.push({
      code: 'ValidationFailed',
      target: 'scale_settings.min_instances',
      message: `scale_settings.min_instances: at least 1 (as on Azure, a deployment keeps one replica; scale to zero is Hangar's opt-in: add scale_settings.hangar_scale_to_zero: true); got ${scale.min_instances}`,
    });
  if (toZero && scale.min_instances !== 0)
    problems.push({
      code: 'ValidationFailed',
      target: 'scale_settings.hangar_scale_to_zero',
      message: `scale_settings.hangar_scale_to_zero: needs min_instances: 0 (an idle deployment scales to no replica); got min_instances ${scale.min_instances}`,
    });
  if (scale.type === 'target_utilization' && scale.min_instances > scale.max_instances)
    problems.push({
      code: 'ValidationFailed',
      target: 'scale_settings.min_instances',
      message: `scale_settings.min_instances: must not exceed max_instances (${scale.max_instances}); got ${scale.min_instances}`,
    });
  const request = spec.request_settings ?? requestSettingsSchema.parse({});
  if (type === 'managed' && request.request_timeout_ms > 180_000)
    problems.push({
      code: 'ValidationFailed',
      target: 'request_settings.request_timeout_ms',
      message: `request_settings.request_timeout_ms: at most 180000 for a managed deployment; got ${request.request_timeout_ms}`,
    });
  throwIfProblems(problems);
  return {
    ...spec,
    type,
    // A deployment that scales to zero starts with none: the first request starts a replica.
    instance_count:
      spec.instance_count ??
      (scale.type === 'target_utilization' ? Math.max(toZero ? 0 : 1, scale.min_instances) : 1),
    scale_settings: scale,
    request_settings: request,
    liveness_probe: spec.liveness_probe ?? probeSchema.parse({}),
    readiness_probe: spec.readiness_probe ?? probeSchema.parse({}),
  };
}
