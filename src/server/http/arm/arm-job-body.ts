import { parseIsoDuration, secondsToIso } from '../../../domain/compute/iso-duration.js';
import { HangarError } from '../../../domain/errors/hangar-error.js';
import { expressionFields, type Expression } from '../../../domain/sweeps/search-space.js';
import type { SweepConfig } from '../../../domain/sweeps/sweep-spec.js';

const modes: Record<string, string> = {
  ReadOnlyMount: 'ro_mount',
  ReadWriteMount: 'rw_mount',
  Download: 'download',
  Direct: 'direct',
  Upload: 'upload',
};
const restModes = Object.fromEntries(Object.entries(modes).map(([k, v]) => [v, k]));

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});

/** The last segment after `/{kind}/` of an ARM id, with or without `azureml:`. */
function nameIn(id: string, kind: string): string | undefined {
  return new RegExp(`/${kind}/([^/]+)$`).exec(id)?.[1];
}

/** A data or model ARM id (`[azureml:]{WS}/data/{name}/versions/{v}`, what the SDK resolves `name@latest` to) as `azureml:name:v`. */
export function assetRef(uri: string): string {
  const m = /^(?:azureml:)?\/subscriptions\/[^:]*\/(?:data|models)\/([^/]+)\/versions\/([^/]+)$/.exec(uri);
  // The SDK keeps the prefix of `azureml:name@latest` in the name it resolved.
  return m ? `azureml:${(m[1] ?? '').replace(/^azureml:/, '')}:${m[2]}` : uri;
}

/** An environment reference as the SDK sends it, in az ml's YAML form. */
export function environmentRef(id: string): string {
  const m = /\/environments\/([^/]+)\/versions\/([^/]+)$/.exec(id);
  if (m) return `azureml:${m[1]}:${m[2]}`;
  return id.startsWith('azureml:') ? id : `azureml:${id}`;
}

/**
 * An ARM job body (what `jobs.create_or_update` sends) as the az ml v2 job spec the native API
 * takes: same job, YAML field names. Command and Sweep jobs (Pipeline bodies: arm-pipeline-body.ts);
 * other job types are refused naming `properties.jobType`.
 */
export function specOfArmJob(body: unknown): { spec: Json; codeId?: string } {
  const p = obj(obj(body).properties);
  const jobType = p.jobType;
  if (jobType === 'Sweep') return sweepSpecOf(p);
  if (jobType !== 'Command')
    throw new HangarError(
      'OperationNotSupported',
      `properties.jobType: Hangar runs Command, Sweep and Pipeline jobs through this API; got '${String(jobType)}'.`,
      'properties.jobType',
    );
  if (typeof p.command !== 'string' || !p.command)
    throw new HangarError(
      'ValidationFailed',
      'properties.command: required for a Command job.',
      'properties.command',
    );
  return commandSpecOf(p);
}

/** A Command job's properties (or a sweep's trial merged over its top level) in YAML form. */
function commandSpecOf(p: Json): { spec: Json; codeId?: string } {
  const spec: Json = { type: 'command', command: p.command };
  if (typeof p.displayName === 'string') spec.display_name = p.displayName;
  if (typeof p.experimentName === 'string') spec.experiment_name = p.experimentName;
  if (typeof p.description === 'string') spec.description = p.description;
  if (p.tags && Object.keys(obj(p.tags)).length > 0) spec.tags = p.tags;
  if (p.properties && Object.keys(obj(p.properties)).length > 0) spec.properties = p.properties;
  if (typeof p.environmentId === 'string') spec.environment = environmentRef(p.environmentId);
  if (typeof p.computeId === 'string') {
    const c = nameIn(p.computeId, 'computes') ?? p.computeId.replace(/^azureml:/, '');
    spec.compute = c === 'local' ? 'local' : `azureml:${c}`;
  }
  const vars = obj(p.environmentVariables);
  if (Object.keys(vars).length > 0) spec.environment_variables = vars;
  const inputs: Json = {};
  for (const [name, raw] of Object.entries(obj(p.inputs))) {
    const i = obj(raw);
    const type = i.jobInputType;
    if (type === 'literal') inputs[name] = i.value;
    else if (typeof type === 'string' && typeof i.uri === 'string') {
      const mode = typeof i.mode === 'string' ? modes[i.mode] : undefined;
      inputs[name] = { type, path: assetRef(i.uri), ...(mode ? { mode } : {}) };
    } else
      throw new HangarError(
        'ValidationFailed',
        `properties.inputs.${name}: needs jobInputType literal (with value) or a uri type with uri; got ${JSON.stringify(raw)}.`,
        `properties.inputs.${name}`,
      );
  }
  if (Object.keys(inputs).length > 0) spec.inputs = inputs;
  const outputs: Json = {};
  for (const [name, raw] of Object.entries(obj(p.outputs))) {
    const o = obj(raw);
    const mode = typeof o.mode === 'string' ? modes[o.mode] : undefined;
    outputs[name] = {
      type: typeof o.jobOutputType === 'string' ? o.jobOutputType : 'uri_folder',
      ...(mode ? { mode } : {}),
      ...(typeof o.assetName === 'string' ? { name: o.assetName } : {}),
    };
  }
  if (Object.keys(outputs).length > 0) spec.outputs = outputs;
  const resources = obj(p.resources);
  if (typeof resources.instanceCount === 'number')
    spec.resources = { instance_count: resources.instanceCount };
  // Serverless jobs size their pool by instanceType and tier; services are refused by name, never dropped.
  if (typeof resources.instanceType === 'string')
    spec.resources = { ...obj(spec.resources), instance_type: resources.instanceType };
  const queue = obj(p.queueSettings);
  if (typeof queue.jobTier === 'string') spec.queue_settings = { job_tier: queue.jobTier.toLowerCase() };
  const restServiceTypes: Record<string, string> = {
    JupyterLab: 'jupyter_lab',
    SSH: 'ssh',
    TensorBoard: 'tensor_board',
    VSCode: 'vs_code',
  };
  const services = Object.entries(obj(p.services)).filter(
    ([, s]) => !['Studio', 'Tracking'].includes(String(obj(s).jobServiceType)),
  );
  if (services.length > 0)
    spec.services = Object.fromEntries(
      services.map(([name, s]) => {
        const type = String(obj(s).jobServiceType);
        return [name, { type: restServiceTypes[type] ?? type }];
      }),
    );
  const limits = obj(p.limits);
  if (typeof limits.timeout === 'string') {
    const seconds = parseIsoDuration(limits.timeout);
    if (seconds === undefined)
      throw new HangarError(
        'ValidationFailed',
        `properties.limits.timeout: an ISO 8601 duration; got '${limits.timeout}'.`,
        'properties.limits.timeout',
      );
    spec.limits = { timeout: seconds };
  }
  const dist = obj(p.distribution);
  if (typeof dist.distributionType === 'string') {
    const d: Json = { type: dist.distributionType.toLowerCase() };
    if (typeof dist.processCountPerInstance === 'number')
      d.process_count_per_instance = dist.processCountPerInstance;
    if (typeof dist.workerCount === 'number') d.worker_count = dist.workerCount;
    if (typeof dist.parameterServerCount === 'number') d.parameter_server_count = dist.parameterServerCount;
    spec.distribution = d;
  }
  return { spec, ...(typeof p.codeId === 'string' ? { codeId: p.codeId } : {}) };
}

const camelToSnake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const policyTypes: Record<string, string> = {
  Bandit: 'bandit',
  MedianStopping: 'median_stopping',
  TruncationSelection: 'truncation_selection',
};

/** An ISO 8601 duration of `properties.limits.{key}` in seconds, refused naming the field. */
function limitSeconds(limits: Json, key: string): number | undefined {
  const v = limits[key];
  if (v === undefined || v === null) return undefined;
  const seconds = typeof v === 'string' ? parseIsoDuration(v) : undefined;
  if (seconds === undefined)
    throw new HangarError(
      'ValidationFailed',
      `properties.limits.${key}: an ISO 8601 duration; got ${JSON.stringify(v)}.`,
      `properties.limits.${key}`,
    );
  return seconds;
}

/**
 * A Sweep job body (azure-ai-ml's `command(...).sweep(...)`) as az ml's `type: sweep` YAML spec.
 * The trial is translated as a command job (same code, environment, compute and input rules); the
 * search space passes through in REST array form, which the sweep parser reads.
 */
function sweepSpecOf(p: Json): { spec: Json; codeId?: string } {
  const trial = obj(p.trial);
  if (typeof trial.command !== 'string' || !trial.command)
    throw new HangarError(
      'ValidationFailed',
      'properties.trial.command: required for a Sweep job.',
      'properties.trial.command',
    );
  if (typeof p.computeId !== 'string' || !p.computeId)
    throw new HangarError(
      'ValidationFailed',
      'properties.computeId: required for a Sweep job (the compute its trials run on).',
      'properties.computeId',
    );
  const { limits: _sweepLimits, ...top } = p;
  const { spec: cmd, codeId: topCode } = commandSpecOf({ ...top, ...trial, jobType: 'Command' });
  const codeId = typeof trial.codeId === 'string' ? trial.codeId : topCode;
  const pick = (keys: string[]): Json =>
    Object.fromEntries(keys.filter((k) => cmd[k] !== undefined).map((k) => [k, cmd[k]]));
  const spec: Json = {
    type: 'sweep',
    ...pick(['display_name', 'experiment_name', 'description', 'tags', 'properties', 'compute']),
    ...pick(['inputs', 'outputs', 'queue_settings']),
    trial: {
      command: cmd.command,
      ...pick(['environment', 'environment_variables', 'distribution', 'resources']),
    },
    search_space: p.searchSpace,
  };
  const sa = obj(p.samplingAlgorithm);
  const saType =
    typeof sa.samplingAlgorithmType === 'string' ? sa.samplingAlgorithmType.toLowerCase() : undefined;
  const rule = typeof sa.rule === 'string' ? sa.rule.toLowerCase() : undefined;
  const seed = typeof sa.seed === 'number' ? sa.seed : undefined;
  spec.sampling_algorithm =
    rule !== undefined || seed !== undefined
      ? { type: saType, ...(rule === undefined ? {} : { rule }), ...(seed === undefined ? {} : { seed }) }
      : saType;
  const objective = obj(p.objective);
  spec.objective = { primary_metric: objective.primaryMetric, goal: objective.goal };
  const l = obj(p.limits);
  const limits: Json = {};
  if (typeof l.maxTotalTrials === 'number') limits.max_total_trials = l.maxTotalTrials;
  if (typeof l.maxConcurrentTrials === 'number') limits.max_concurrent_trials = l.maxConcurrentTrials;
  const timeout = limitSeconds(l, 'timeout');
  if (timeout !== undefined) limits.timeout = timeout;
  const trialTimeout = limitSeconds(l, 'trialTimeout');
  if (trialTimeout !== undefined) limits.trial_timeout = trialTimeout;
  if (Object.keys(limits).length > 0) spec.limits = limits;
  const et = obj(p.earlyTermination);
  if (Object.keys(et).length > 0) {
    const type = String(et.policyType);
    // azure-ai-ml 1.4.0 sends both slack fields with 0 for the one not set; 0 is no slack at all.
    const fields = Object.entries(et).filter(
      ([k, v]) => k !== 'policyType' && v !== null && !(k.startsWith('slack') && v === 0),
    );
    spec.early_termination = {
      type: policyTypes[type] ?? type,
      ...Object.fromEntries(fields.map(([k, v]) => [camelToSnake(k), v])),
    };
  }
  return { spec, ...(codeId ? { codeId } : {}) };
}

const restPolicyTypes = Object.fromEntries(Object.entries(policyTypes).map(([k, v]) => [v, k]));

/** A parsed search-space expression in REST array form (`["uniform", [0, 1]]`), as the SDK reads it. */
export function restExpression(e: Expression): unknown[] {
  if (e.type === 'choice')
    return [
      'choice',
      [
        e.values.map((v) =>
          v !== null && typeof v === 'object'
            ? Object.fromEntries(
                Object.entries(v).map(([k, x]) => [
                  k,
                  x !== null && typeof x === 'object' ? restExpression(x) : x,
                ]),
              )
            : v,
        ),
      ],
    ];
  const fields = expressionFields[e.type];
  return [e.type, fields.map((f) => (e as unknown as Json)[f])];
}

/** A sweep's parsed config as the REST fields of a SweepJob (`searchSpace`, `limits`, ...). */
export function restSweep(config: SweepConfig): Json {
  const s = config.sampling;
  return {
    searchSpace: Object.fromEntries(
      Object.entries(config.searchSpace).map(([k, e]) => [k, restExpression(e)]),
    ),
    samplingAlgorithm: {
      samplingAlgorithmType: s.type.charAt(0).toUpperCase() + s.type.slice(1),
      ...(s.type === 'random' ? { rule: s.rule === 'sobol' ? 'Sobol' : 'Random', seed: s.seed } : {}),
    },
    objective: { primaryMetric: config.objective.primaryMetric, goal: config.objective.goal },
    limits: {
      jobLimitsType: 'Sweep',
      maxTotalTrials: config.limits.maxTotalTrials,
      maxConcurrentTrials: config.limits.maxConcurrentTrials,
      timeout: secondsToIso(config.limits.timeoutSeconds),
      ...(config.limits.trialTimeoutSeconds === undefined
        ? {}
        : { trialTimeout: secondsToIso(config.limits.trialTimeoutSeconds) }),
    },
    ...(config.policy
      ? {
          earlyTermination: Object.fromEntries(
            Object.entries(config.policy).map(([k, v]) =>
              k === 'type'
                ? ['policyType', restPolicyTypes[String(v)] ?? v]
                : [k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()), v],
            ),
          ),
        }
      : {}),
  };
}

/** A spec input (YAML form) in REST form, as the SDK reads it back. */
export function restInput(value: unknown): Json {
  if (value === null || typeof value !== 'object') return { jobInputType: 'literal', value: String(value) };
  const v = value as Json;
  if (typeof v.path === 'string')
    return {
      jobInputType: v.type,
      uri: v.path,
      ...(typeof v.mode === 'string' && restModes[v.mode] ? { mode: restModes[v.mode] } : {}),
    };
  return { jobInputType: 'literal', value: String(v.value ?? v.default ?? '') };
}

export function restOutput(value: unknown): Json {
  const v = obj(value);
  return {
    jobOutputType: typeof v.type === 'string' ? v.type : 'uri_folder',
    ...(typeof v.mode === 'string' && restModes[v.mode] ? { mode: restModes[v.mode] } : {}),
  };
}
