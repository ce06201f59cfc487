import { parseIsoDuration } from '../../../domain/compute/iso-duration.js';
import { HangarError } from '../../../domain/errors/hangar-error.js';
import type { PipelinePlan } from '../../../domain/pipelines/pipeline-spec.js';
import { assetRef, restInput, restOutput } from './arm-job-body.js';

/**
 * azure-ai-ml's PipelineJob body (`jobType: Pipeline`, from `load_job('pipeline.yml')` or
 * `@dsl.pipeline`) as az ml's `type: pipeline` YAML spec, and a pipeline job back in the SDK's shape.
 * The SDK sends every step as a component (inline steps are anonymous component versions it
 * registered first) with snake_case node keys and bindings as literal values (see
 * ../shared/notes/azureml-sdk-v2-wire.md §8.7).
 */

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const camelToSnake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

const modes: Record<string, string> = {
  ReadOnlyMount: 'ro_mount',
  ReadWriteMount: 'rw_mount',
  Download: 'download',
  Direct: 'direct',
  Upload: 'upload',
};
const restModes = Object.fromEntries(Object.entries(modes).map(([k, v]) => [v, k]));

/** Node keys the SDK sends that carry nothing Hangar runs on (provenance, the node's own name). */
const ignoredNodeKeys = new Set(['_source', 'properties', 'services', 'queue_settings']);

/** `azureml:cpu`, from a compute ARM id (or a bare name). */
function computeRef(id: string): string {
  const name = /\/computes\/([^/]+)$/.exec(id)?.[1] ?? id.replace(/^azureml:/, '');
  return name === 'local' ? 'local' : `azureml:${name}`;
}

/** `azureml:<name>:<version>` (or `@latest`) from a component ARM id or reference as the SDK sends it. */
export function componentRef(id: string, field: string): string {
  const m = /\/components\/([^/]+)\/versions\/([^/]+)$/.exec(id);
  if (m) return `azureml:${m[1]}:${m[2]}`;
  const bare = id.replace(/^azureml:/, '');
  if (/^[A-Za-z0-9_.-]+(?::[A-Za-z0-9_.-]+|@latest)$/.test(bare)) return `azureml:${bare}`;
  throw new HangarError(
    'ValidationFailed',
    `${field}: '${id}' is not a component reference (an ARM id …/components/<name>/versions/<version>, or azureml:<name>:<version>).`,
    field,
  );
}

/** A REST job input (pipeline level: camelCase; node level: snake_case) in YAML form; bindings stay text. */
function yamlInput(raw: unknown, field: string): unknown {
  const i = obj(raw);
  const type = i.jobInputType ?? i.job_input_type;
  const mode = typeof i.mode === 'string' ? (modes[i.mode] ?? i.mode) : undefined;
  if (type === 'literal' || (type === undefined && i.value !== undefined)) {
    const value = i.value;
    // A binding with a mode (`Input(mode=…)` on a bound input) keeps the mode on the binding.
    return mode && typeof value === 'string' ? { path: value, mode } : value;
  }
  if (typeof type === 'string' && typeof i.uri === 'string')
    return { type, path: assetRef(i.uri), ...(mode ? { mode } : {}) };
  throw new HangarError(
    'ValidationFailed',
    `${field}: needs job_input_type literal (with value) or a uri type with uri; got ${JSON.stringify(raw)}.`,
    field,
  );
}

/** A REST output: a binding (`{value: '${{parent.outputs.x}}', type: literal}`) or `{type, mode}`. */
function yamlOutput(raw: unknown): unknown {
  const o = obj(raw);
  if (typeof o.value === 'string') return o.value;
  const type = o.jobOutputType ?? o.job_output_type;
  const mode = typeof o.mode === 'string' ? (modes[o.mode] ?? o.mode) : undefined;
  const name = o.assetName ?? o.asset_name;
  return {
    type: typeof type === 'string' ? type : 'uri_folder',
    ...(mode ? { mode } : {}),
    // Registering an output is refused by the pipeline parser, naming this field.
    ...(typeof name === 'string' ? { name } : {}),
  };
}

const mapOf = (raw: unknown, field: string, each: (v: unknown, f: string) => unknown): Json | undefined => {
  const entries = Object.entries(obj(raw));
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.map(([k, v]) => [k, each(v, `${field}.${k}`)]));
};

/** A REST resources/distribution object (camelCase) in YAML form. */
function yamlResources(raw: unknown): Json {
  return Object.fromEntries(Object.entries(obj(raw)).map(([k, v]) => [camelToSnake(k), v]));
}

function yamlDistribution(raw: unknown): Json {
  const d = obj(raw);
  const type = d.distributionType ?? d.distribution_type ?? d.type;
  const rest = Object.entries(d).filter(([k]) => !['distributionType', 'distribution_type'].includes(k));
  return {
    ...Object.fromEntries(rest.map(([k, v]) => [camelToSnake(k), v])),
    ...(typeof type === 'string' ? { type: type.toLowerCase() } : {}),
  };
}

/** One node of `properties.jobs` as a YAML step; fields Hangar does not know pass on, so the parser names them. */
function yamlStep(raw: unknown, field: string): Json {
  const node = obj(raw);
  if (Object.keys(node).length === 0)
    throw new HangarError('ValidationFailed', `${field}: a step is an object (a pipeline node).`, field);
  const step: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (ignoredNodeKeys.has(key) || value === null || value === undefined) continue;
    const f = `${field}.${key}`;
    if (key === 'componentId') {
      if (typeof value !== 'string')
        throw new HangarError(
          'ValidationFailed',
          `${f}: a component ARM id; got ${JSON.stringify(value)}.`,
          f,
        );
      step.component = componentRef(value, f);
    } else if (key === 'computeId' && typeof value === 'string') step.compute = computeRef(value);
    else if (key === 'inputs') {
      const inputs = mapOf(value, f, yamlInput);
      if (inputs) step.inputs = inputs;
    } else if (key === 'outputs') {
      const outputs = mapOf(value, f, yamlOutput);
      if (outputs) step.outputs = outputs;
    } else if (key === 'resources') step.resources = yamlResources(value);
    else if (key === 'distribution') step.distribution = yamlDistribution(value);
    else if (key === 'limits' && (node.type ?? 'command') === 'command') {
      const l = obj(value);
      // The SDK sends `{job_limits_type: Command}` alone when no timeout was set.
      if (l.timeout === undefined || l.timeout === null) continue;
      const seconds = typeof l.timeout === 'string' ? parseIsoDuration(l.timeout) : l.timeout;
      if (typeof seconds !== 'number')
        throw new HangarError(
          'ValidationFailed',
          `${f}.timeout: an ISO 8601 duration; got ${JSON.stringify(l.timeout)}.`,
          `${f}.timeout`,
        );
      step.limits = { timeout: seconds };
    } else if (key === 'early_termination' && typeof obj(value).policy_type === 'string') {
      // A sweep node's policy as the YAML writes it (`type: bandit`), not the REST `policy_type: Bandit`.
      const { policy_type: policy, ...rest } = obj(value);
      step.early_termination = { type: camelToSnake(String(policy)).replace(/^_/, ''), ...rest };
    } else if (key === 'trial' && typeof obj(value).componentId === 'string')
      // A sweep node's trial names its component as a step does.
      step.trial = componentRef(String(obj(value).componentId), `${f}.componentId`);
    else if ((key === 'tags' || key === 'environment_variables') && Object.keys(obj(value)).length === 0)
      continue;
    else step[key] = value;
  }
  return step;
}

const settingKeys = new Set([
  'default_compute',
  'default_datastore',
  'continue_on_step_failure',
  'force_rerun',
]);

/**
 * A registered pipeline component's `jobs` as YAML steps: nodes the SDK sent (REST shape, naming
 * their component by `componentId`) converted, nodes written as YAML (`hangar component create`) kept.
 */
export function yamlJobsOf(jobs: Json, field: string, stored = true): Json {
  return Object.fromEntries(
    Object.entries(jobs).map(([name, node]) => [
      name,
      isYamlNode(node, stored) ? node : yamlStep(node, `${field}.${name}`),
    ]),
  );
}

/**
 * A step written as YAML: it names a `component` (no SDK node does: it sends `componentId`) or, in a
 * stored component (`stored`: where every SDK node has a `componentId`), an inline `command`.
 */
function isYamlNode(node: unknown, stored: boolean): boolean {
  const n = obj(node);
  if (n.componentId !== undefined || obj(n.trial).componentId !== undefined) return false;
  return n.component !== undefined || (stored && n.command !== undefined);
}

/** Bodies given a registered component's graph by withComponentGraph (their `jobs` read as stored). */
const componentGraphs = new WeakSet<Json>();

/** `settings` (snake_case, references as ARM ids) in YAML form; `_source` dropped, other keys kept for the parser. */
function yamlSettings(raw: unknown): Json | undefined {
  const out: Json = {};
  for (const [k, v] of Object.entries(obj(raw))) {
    const key = camelToSnake(k);
    if (key === '_source' || v === null || v === undefined) continue;
    if (key === 'default_compute' && typeof v === 'string') out[key] = computeRef(v);
    else if (key === 'default_datastore' && typeof v === 'string')
      out[key] = /\/datastores\/([^/]+)$/.exec(v)?.[1] ?? v.replace(/^azureml:/, '');
    else out[settingKeys.has(key) ? key : k] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** A Pipeline job's ARM properties as az ml's pipeline YAML spec (what the native job service takes). */
export function pipelineSpecOf(p: Json): Json {
  const jobs = obj(p.jobs);
  if (Object.keys(jobs).length === 0)
    throw new HangarError(
      'ValidationFailed',
      'properties.jobs: a Pipeline job needs at least one step.',
      'properties.jobs',
    );
  // A job of a registered pipeline component carries the component's graph in `jobs` (the SDK sends
  // it; see pipelineComponentJobs for a body without it): the graph runs, `componentId` names its origin.
  const spec: Json = { type: 'pipeline' };
  if (typeof p.displayName === 'string') spec.display_name = p.displayName;
  if (typeof p.experimentName === 'string') spec.experiment_name = p.experimentName;
  if (typeof p.description === 'string') spec.description = p.description;
  if (Object.keys(obj(p.tags)).length > 0) spec.tags = p.tags;
  if (Object.keys(obj(p.properties)).length > 0) spec.properties = p.properties;
  if (typeof p.computeId === 'string') spec.compute = computeRef(p.computeId);
  const settings = yamlSettings(p.settings);
  if (settings) spec.settings = settings;
  const inputs = mapOf(p.inputs, 'properties.inputs', yamlInput);
  if (inputs) spec.inputs = inputs;
  const outputs = mapOf(p.outputs, 'properties.outputs', (v) => yamlOutput(v));
  if (outputs) spec.outputs = outputs;
  // A registered pipeline component's graph written as YAML (`hangar component create`) is kept.
  spec.jobs = yamlJobsOf(jobs, 'properties.jobs', componentGraphs.has(p));
  return spec;
}

/**
 * The registered pipeline component a Pipeline body names (`componentId`), or undefined when it
 * names none. Its graph runs when the body carries none; its ports fill those the body leaves out.
 */
export async function pipelineComponentOf(
  p: Json,
  read: (ref: string) => Promise<Json>,
): Promise<Json | undefined> {
  if (typeof p.componentId !== 'string') return undefined;
  const ref = componentRef(p.componentId, 'properties.componentId');
  const spec = obj((await read(ref)).componentSpec);
  if (spec.type !== 'pipeline')
    throw new HangarError(
      'ValidationFailed',
      `properties.componentId: '${ref}' is a ${String(spec.type ?? 'command')} component; a Pipeline job runs a pipeline component (a command component runs as a Command job).`,
      'properties.componentId',
    );
  return spec;
}

/** A Pipeline body with its component's graph when it carries none (see pipelineComponentOf). */
export function withComponentGraph(p: Json, component: Json | undefined): Json {
  if (!component || Object.keys(obj(p.jobs)).length > 0) return p;
  const withGraph = { ...p, jobs: obj(component.jobs) };
  componentGraphs.add(withGraph);
  return withGraph;
}

/**
 * The component's ports the job left out, in the pipeline spec: every output (the SDK sends a
 * pipeline output only when the caller set it, and the graph binds them all) and each input's default.
 */
export function withComponentPorts(spec: Json, component: Json | undefined): Json {
  if (!component) return spec;
  const outputs = { ...obj(spec.outputs) };
  for (const [name, port] of Object.entries(obj(component.outputs)))
    if (outputs[name] === undefined) outputs[name] = { type: obj(port).type ?? 'uri_folder' };
  const inputs = { ...obj(spec.inputs) };
  for (const [name, port] of Object.entries(obj(component.inputs)))
    if (inputs[name] === undefined && obj(port).default !== undefined) inputs[name] = obj(port).default;
  return {
    ...spec,
    ...(Object.keys(inputs).length > 0 ? { inputs } : {}),
    ...(Object.keys(outputs).length > 0 ? { outputs } : {}),
  };
}

/** Where a pipeline spec field is in the ARM body: `jobs.a.inputs.x` → `properties.jobs.a.inputs.x`. */
export function armPipelineError(err: HangarError): HangarError {
  const target = err.target;
  if (!target || target.startsWith('properties.') || target === 'name' || target === 'workspace') return err;
  const armTarget = `properties.${target}`;
  const message = err.message.startsWith(`${target}:`) ? `properties.${err.message}` : err.message;
  return new HangarError(err.code, message, armTarget, err.details);
}

/** A YAML step input read back as a node input: bindings as literal values, as the SDK sent them. */
function restNodeInput(value: unknown): Json {
  if (value !== null && typeof value === 'object') {
    const v = value as Json;
    if (typeof v.path === 'string' && v.path.includes('${{'))
      return {
        job_input_type: 'literal',
        value: v.path,
        ...(typeof v.mode === 'string' && restModes[v.mode] ? { mode: restModes[v.mode] } : {}),
      };
    const rest = restInput(value);
    return { job_input_type: rest.jobInputType, ...(rest.uri ? { uri: rest.uri } : { value: rest.value }) };
  }
  return { job_input_type: 'literal', value: String(value) };
}

function restNodeOutput(value: unknown): Json | undefined {
  if (typeof value === 'string') return { value, type: 'literal' };
  if (value === null || value === undefined) return undefined;
  const rest = restOutput(value);
  return { job_output_type: rest.jobOutputType, ...(rest.mode ? { mode: rest.mode } : {}) };
}

const restPolicyTypes: Record<string, string> = {
  bandit: 'Bandit',
  median_stopping: 'MedianStopping',
  truncation_selection: 'TruncationSelection',
};

/**
 * A pipeline job's stored spec and plan as the REST fields of the SDK's PipelineJob: `jobs` (nodes
 * with `componentId` ARM ids), `settings` (snake_case, default_compute as an ARM id), `inputs`, `outputs`.
 */
export function restPipeline(spec: Json, plan: PipelinePlan | undefined, wsId: string): Json {
  const computeId = (ref: string): string => `${wsId}/computes/${ref.replace(/^azureml:/, '')}`;
  const jobs: Json = {};
  for (const [name, raw] of Object.entries(obj(spec.jobs))) {
    const step = obj(raw);
    const node: Json = { name, type: typeof step.type === 'string' ? step.type : 'command' };
    // The pinned reference the plan resolved (`@latest` → a version); inline steps have none.
    const named = step.component ?? step.trial;
    const ref = plan?.steps[name]?.component ?? (typeof named === 'string' ? named : '');
    const m = /^azureml:([^:@]+):(.+)$/.exec(ref);
    if (m) node.componentId = `${wsId}/components/${m[1]}/versions/${m[2]}`;
    if (typeof step.compute === 'string') node.computeId = computeId(step.compute);
    if (typeof step.display_name === 'string') node.display_name = step.display_name;
    // A sweep node names its component under `trial` and keeps its sweep fields in YAML form (as sent).
    if (node.type === 'sweep') {
      if (node.componentId) node.trial = { componentId: node.componentId };
      delete node.componentId;
      for (const key of ['sampling_algorithm', 'search_space', 'objective', 'limits'])
        if (step[key] !== undefined) node[key] = step[key];
      const { type: policy, ...rest } = obj(step.early_termination);
      if (typeof policy === 'string')
        node.early_termination = { policy_type: restPolicyTypes[policy] ?? policy, ...rest };
    }
    node.inputs = Object.fromEntries(Object.entries(obj(step.inputs)).map(([k, v]) => [k, restNodeInput(v)]));
    node.outputs = Object.fromEntries(
      Object.entries(obj(step.outputs))
        .map(([k, v]) => [k, restNodeOutput(v)] as const)
        .filter(([, v]) => v !== undefined),
    );
    jobs[name] = node;
  }
  const s = obj(spec.settings);
  const settings: Json = {
    continue_on_step_failure: plan?.settings.continueOnStepFailure ?? false,
    force_rerun: plan?.settings.forceRerun ?? false,
  };
  if (typeof s.default_compute === 'string') settings.default_compute = computeId(s.default_compute);
  if (typeof s.default_datastore === 'string')
    settings.default_datastore = `${wsId}/datastores/${s.default_datastore}`;
  return {
    jobType: 'Pipeline',
    jobs,
    settings,
    inputs: Object.fromEntries(Object.entries(obj(spec.inputs)).map(([k, v]) => [k, restInput(v)])),
    outputs: Object.fromEntries(Object.entries(obj(spec.outputs)).map(([k, v]) => [k, restOutput(v)])),
  };
}
