import { z } from 'zod';
import { HangarError, throwIfProblems } from '../errors/hangar-error.js';
import { zodProblems } from '../errors/zod-problems.js';
import type { CommandComponentSpec } from '../assets/component-spec.js';
import { fileInputTypes, type FileInputType, type InputMode } from '../jobs/job-inputs.js';
import { checkSweepStep, parseSweepStep, type SweepStepSettings } from './sweep-step.js';

/**
 * az ml's pipeline job YAML (pipelineJob.schema.json), after the client replaced local paths by
 * uploaded snapshot URIs and component files by their inlined spec. Parsed in two steps: the
 * structure here (pure), then `planPipeline` with each step's component resolved.
 */

const portName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'names are letters, digits and _');
const stepName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, 'step names are letters, digits, _ and - (at most 100)');
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const stringMap = z.record(z.string(), scalar.transform(String));

/** One node of `jobs`: an inline command job, or a component with the step's bindings. */
const stepSchema = z.strictObject({
  type: z.literal('command').default('command'),
  name: z.string().optional(),
  display_name: z.string().optional(),
  description: z.string().optional(),
  tags: stringMap.optional(),
  /** `azureml:<name>:<version>`, `azureml:<name>@latest`, or the spec of a component file the CLI inlined. */
  component: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
  command: z.string().min(1).optional(),
  /** A snapshot URI (the CLI uploads a local folder) . */
  code: z.string().min(1).optional(),
  environment: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
  environment_variables: stringMap.optional(),
  compute: z.string().min(1).optional(),
  inputs: z.record(portName, z.unknown()).optional(),
  outputs: z.record(portName, z.unknown()).optional(),
  resources: z.record(z.string(), z.unknown()).optional(),
  distribution: z.record(z.string(), z.unknown()).optional(),
  limits: z.strictObject({ timeout: z.number().int().positive() }).optional(),
  retry_settings: z
    .strictObject({ max_retries: z.number().int().min(0).max(10), timeout: z.number().optional() })
    .optional(),
});

/** The pipeline job itself. */
export const pipelineSpecSchema = z.strictObject({
  $schema: z.string().optional(),
  type: z.literal('pipeline'),
  name: z.string().optional(),
  display_name: z.string().optional(),
  experiment_name: z.string().min(1).max(255).optional(),
  description: z.string().optional(),
  tags: stringMap.optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
  compute: z.string().min(1).optional(),
  identity: z.record(z.string(), z.unknown()).optional(),
  settings: z
    .strictObject({
      default_compute: z.string().min(1).optional(),
      default_datastore: z.string().min(1).optional(),
      continue_on_step_failure: z.boolean().optional(),
      force_rerun: z.boolean().optional(),
      _source: z.string().optional(),
    })
    .optional(),
  inputs: z.record(portName, z.unknown()).optional(),
  outputs: z.record(portName, z.unknown()).optional(),
  jobs: z.record(stepName, z.unknown()),
});

export type PipelineSpec = z.infer<typeof pipelineSpecSchema>;
/** A step as parsed; a `type: sweep` node carries its trial as `component` and its sweep fields as `sweep`. */
export type PipelineStepSpec = Omit<z.infer<typeof stepSchema>, 'type'> & {
  type: 'command' | 'sweep';
  sweep?: SweepStepSettings;
};

/** Node types az ml's schema knows that Hangar does not run as pipeline steps, and why. */
const unsupportedStepTypes: Readonly<Record<string, string>> = {
  // Pipeline component steps are expanded before parsing (pipeline-components.ts); one left here has none.
  pipeline: 'a pipeline step names its pipeline component (component: ./sub.yml or azureml:<name>@latest)',
  parallel: 'parallel steps are not supported',
  spark: 'Spark steps are not supported',
  automl: 'AutoML steps are not supported',
  import: 'import steps are not supported',
  data_transfer: 'data transfer steps are not supported',
};

/** Validates the pipeline YAML's structure; each step's fields are checked with its name in the path. */
export function parsePipelineSpec(raw: Record<string, unknown>): {
  spec: PipelineSpec;
  steps: Record<string, PipelineStepSpec>;
} {
  const r = pipelineSpecSchema.safeParse(raw);
  if (!r.success) throwIfProblems(zodProblems(r.error, raw));
  const spec = (r as { data: PipelineSpec }).data;
  if (Object.keys(spec.jobs).length === 0)
    throw new HangarError('ValidationFailed', 'jobs: a pipeline needs at least one step.', 'jobs');
  const steps: Record<string, PipelineStepSpec> = {};
  for (const [name, node] of Object.entries(spec.jobs)) {
    const field = `jobs.${name}`;
    if (node === null || typeof node !== 'object' || Array.isArray(node))
      throw new HangarError(
        'ValidationFailed',
        `${field}: a step is a mapping (a command job or a component).`,
        field,
      );
    const type = (node as { type?: unknown }).type;
    if (typeof type === 'string' && Object.hasOwn(unsupportedStepTypes, type))
      throw new HangarError(
        'NotImplemented',
        `${field}.type: '${type}': ${unsupportedStepTypes[type]}.`,
        `${field}.type`,
      );
    if (type === 'sweep') {
      steps[name] = sweepStepSpec(parseSweepStep(node as Record<string, unknown>, field));
      continue;
    }
    const s = stepSchema.safeParse(node);
    if (!s.success) throwIfProblems(zodProblems(s.error, node, field));
    steps[name] = (s as { data: PipelineStepSpec }).data;
  }
  return { spec, steps };
}

/** A sweep node as a step: its trial is the step's component, its sweep fields ride along. */
function sweepStepSpec(node: ReturnType<typeof parseSweepStep>): PipelineStepSpec {
  const { type, trial, sampling_algorithm, search_space, objective, limits, early_termination, ...rest } =
    node;
  return {
    ...rest,
    type,
    component: trial,
    sweep: {
      sampling_algorithm,
      search_space,
      objective,
      ...(limits ? { limits } : {}),
      ...(early_termination ? { early_termination } : {}),
    },
  };
}

/** A binding as az ml writes it in a step's inputs or outputs. */
export type Binding =
  | { kind: 'parent-input'; input: string }
  | { kind: 'step-output'; step: string; output: string }
  | { kind: 'parent-output'; output: string };

/**
 * Parses `${{parent.inputs.x}}`, `${{parent.jobs.a.outputs.y}}` or `${{parent.outputs.z}}`;
 * undefined when `text` is no binding at all; an error (naming `field`) for any other `${{…}}`.
 */
export function parseBinding(text: string, field: string): Binding | undefined {
  const t = text.trim();
  if (!t.includes('${{')) return undefined;
  const m =
    /^\$\{\{\s*parent\.(?:inputs\.(\w+)|jobs\.([A-Za-z0-9_-]+)\.outputs\.(\w+)|outputs\.(\w+))\s*\}\}$/.exec(
      t,
    );
  if (!m)
    throw new HangarError(
      'PipelineGraphInvalid',
      `${field}: '${text}' is not a binding Hangar reads: use \${{parent.inputs.<name>}}, \${{parent.jobs.<step>.outputs.<name>}} or \${{parent.outputs.<name>}}.`,
      field,
    );
  if (m[1]) return { kind: 'parent-input', input: m[1] };
  if (m[2] && m[3]) return { kind: 'step-output', step: m[2], output: m[3] };
  return { kind: 'parent-output', output: m[4] ?? '' };
}

/** What a step's input is, once its binding is followed. */
export type StepInputPlan =
  | { kind: 'literal'; value: string | number | boolean }
  /** A reference the job submission resolves (a snapshot URI, `azureml:<name>:<version>`, a datastore path, a URL). */
  | { kind: 'data'; type: FileInputType; path: string; mode?: InputMode }
  /** Another step's output: readable once that step completed. */
  | { kind: 'step-output'; step: string; output: string; type: FileInputType; mode?: InputMode };

/** One step, everything needed to submit it as a command job (inputs still to be resolved). */
export interface StepPlan {
  /** Where its definition came from: `azureml:train:2`, `component file (train)` or `inline command`. */
  component: string;
  /** The component's own name (a file's or a registered one), or the step name for inline steps. */
  componentName: string;
  command: string;
  /** The code's snapshot URI. */
  code?: string;
  environment?: string | Record<string, unknown>;
  environmentVariables?: Record<string, string>;
  compute: string;
  resources?: Record<string, unknown>;
  distribution?: Record<string, unknown>;
  limits?: { timeout: number };
  retrySettings?: { max_retries: number };
  displayName?: string;
  description?: string;
  tags?: Record<string, string>;
  /** false: never reused (component is_deterministic: false). */
  isDeterministic: boolean;
  inputs: Record<string, StepInputPlan>;
  outputs: Record<string, { type: string; mode?: string }>;
  /** Steps whose outputs it reads. */
  dependsOn: string[];
  /** A sweep step (`type: sweep`): its sweep settings; its trial is the component above, its outputs the best trial's. */
  sweep?: SweepStepSettings;
}

/** The pipeline as the controller runs it: steps in a dependency order, and where its outputs come from. */
export interface PipelinePlan {
  steps: Record<string, StepPlan>;
  /** Every step after the steps it depends on. */
  order: string[];
  /** The pipeline's outputs: which step output each one is. */
  outputs: Record<string, { step: string; output: string }>;
  settings: {
    continueOnStepFailure: boolean;
    forceRerun: boolean;
    defaultCompute?: string;
    defaultDatastore?: string;
  };
}

/** A pipeline input as declared: a literal, a typed literal or a file/folder reference. */
export type PipelineInput =
  | { kind: 'literal'; value: string | number | boolean }
  | { kind: 'data'; type: FileInputType; path: string; mode?: InputMode };

const modes = ['ro_mount', 'rw_mount', 'download', 'direct'] as const;
const isFileType = (t: unknown): t is FileInputType =>
  typeof t === 'string' && (fileInputTypes as readonly string[]).includes(t);
const isScalar = (v: unknown): v is string | number | boolean =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

function modeOf(raw: unknown, field: string): InputMode | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !(modes as readonly string[]).includes(raw))
    throw new HangarError(
      'ValidationFailed',
      `${field}: must be one of ${modes.join(', ')}; got ${JSON.stringify(raw)}.`,
      field,
    );
  return raw as InputMode;
}

/** The pipeline's `inputs`, checked (a file input's path is a reference the client already uploaded). */
export function pipelineInputs(spec: PipelineSpec): Record<string, PipelineInput> {
  const out: Record<string, PipelineInput> = {};
  for (const [name, raw] of Object.entries(spec.inputs ?? {})) {
    const field = `inputs.${name}`;
    if (isScalar(raw)) out[name] = { kind: 'literal', value: raw };
    else if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
      const o = raw as Record<string, unknown>;
      if (isFileType(o.type ?? 'uri_folder') && typeof o.path === 'string') {
        out[name] = {
          kind: 'data',
          type: (o.type ?? 'uri_folder') as FileInputType,
          path: o.path,
          ...(o.mode === undefined ? {} : { mode: modeOf(o.mode, `${field}.mode`) }),
        };
      } else if (isScalar(o.value ?? o.default))
        out[name] = { kind: 'literal', value: (o.value ?? o.default) as string };
      else
        throw new HangarError(
          'ValidationFailed',
          `${field}: a pipeline input is a literal, {type, value} or {type: ${fileInputTypes.join('|')}, path}; got ${JSON.stringify(raw)}.`,
          field,
        );
    } else
      throw new HangarError(
        'ValidationFailed',
        `${field}: a pipeline input needs a value; got ${JSON.stringify(raw)}.`,
        field,
      );
  }
  return out;
}

/** What `planPipeline` needs of each step's component, resolved by the caller (registered or inlined). */
export interface ResolvedComponent {
  /** How the YAML named it: `azureml:train:2` (pinned), or `component file (train)`. */
  ref: string;
  spec: CommandComponentSpec;
}

const graphError = (field: string, message: string): HangarError =>
  new HangarError('PipelineGraphInvalid', `${field}: ${message}`, field);

/**
 * Builds the plan: each step's definition (its component's, or its own command), its inputs
 * followed through the bindings, its compute (step > settings.default_compute > compute), and
 * the dependency order. Unknown references and cycles are errors naming the YAML field and value.
 */
export function planPipeline(
  spec: PipelineSpec,
  steps: Record<string, PipelineStepSpec>,
  components: Record<string, ResolvedComponent>,
): PipelinePlan {
  const parentInputs = pipelineInputs(spec);
  const declaredOutputs = Object.keys(spec.outputs ?? {});
  for (const [name, raw] of Object.entries(spec.outputs ?? {})) refuseOutputFields(`outputs.${name}`, raw);
  const plan: PipelinePlan = {
    steps: {},
    order: [],
    outputs: {},
    settings: {
      // Hangar's choice where Azure's pages disagree: a failed step stops the pipeline unless asked (docs/pipelines.md).
      continueOnStepFailure: spec.settings?.continue_on_step_failure ?? false,
      forceRerun: spec.settings?.force_rerun ?? false,
      ...(spec.settings?.default_compute ? { defaultCompute: spec.settings.default_compute } : {}),
      ...(spec.settings?.default_datastore ? { defaultDatastore: spec.settings.default_datastore } : {}),
    },
  };
  // Outputs each step declares, for checking bindings to them.
  const outputsOf = (name: string): string[] | undefined => {
    const c = components[name];
    if (c) return Object.keys(c.spec.outputs);
    const s = steps[name];
    return s ? Object.keys(s.outputs ?? {}) : undefined;
  };
  const outputTypeOf = (name: string, output: string): string | undefined => {
    const c = components[name];
    if (c) return c.spec.outputs[output]?.type;
    const raw = steps[name]?.outputs?.[output];
    return raw !== null && typeof raw === 'object'
      ? String((raw as { type?: unknown }).type ?? 'uri_folder')
      : 'uri_folder';
  };
  for (const [name, step] of Object.entries(steps)) {
    const field = `jobs.${name}`;
    const component = components[name];
    // A sweep step names its component `trial`.
    const componentKey = step.sweep ? 'trial' : 'component';
    const compute = step.compute ?? spec.settings?.default_compute ?? spec.compute;
    if (!compute)
      throw new HangarError(
        'ValidationFailed',
        `${field}.compute: required: give the step a compute, or the pipeline settings.default_compute (or compute).`,
        `${field}.compute`,
      );
    if (component) {
      for (const key of ['command', 'code', 'environment'] as const)
        if (step[key] !== undefined)
          throw new HangarError(
            'ValidationFailed',
            `${field}.${key}: a step with a ${componentKey} takes its ${key} from the component (${component.ref}); remove it here.`,
            `${field}.${key}`,
          );
    } else if (!step.command)
      throw new HangarError(
        'ValidationFailed',
        `${field}: a step needs a command (an inline command job) or a component.`,
        `${field}.command`,
      );
    const c = component?.spec;
    const swept =
      step.sweep && component
        ? checkSweepStep(field, step.sweep, component, step.inputs ?? {}, compute)
        : new Set<string>();
    const planned: StepPlan = {
      component: component?.ref ?? 'inline command',
      componentName: c?.name ?? name,
      command: c?.command ?? step.command ?? '',
      compute,
      isDeterministic: c?.is_deterministic ?? true,
      inputs: {},
      outputs: {},
      dependsOn: [],
    };
    const code = c?.code ?? step.code;
    if (code) planned.code = code;
    const environment = c?.environment ?? step.environment;
    if (environment) planned.environment = environment;
    const vars = { ...stringify(c?.environment_variables), ...step.environment_variables };
    if (Object.keys(vars).length > 0) planned.environmentVariables = vars;
    const resources = step.resources ?? c?.resources;
    if (resources) planned.resources = resources;
    const distribution = step.distribution ?? c?.distribution;
    if (distribution) planned.distribution = distribution;
    if (step.limits) planned.limits = step.limits;
    if (step.retry_settings) planned.retrySettings = { max_retries: step.retry_settings.max_retries };
    if (step.display_name) planned.displayName = step.display_name;
    if (step.description) planned.description = step.description;
    if (step.tags) planned.tags = step.tags;
    if (step.sweep) planned.sweep = step.sweep;

    // Inputs: the step's own, then the component's defaults for those it leaves out.
    const given = step.inputs ?? {};
    if (c)
      for (const key of Object.keys(given))
        if (!Object.hasOwn(c.inputs, key))
          throw graphError(
            `${field}.inputs.${key}`,
            `the component ${component.ref} has no input '${key}' (its inputs: ${Object.keys(c.inputs).join(', ') || 'none'}).`,
          );
    for (const [key, raw] of Object.entries(given)) {
      const declared = c?.inputs[key];
      const input = stepInput(
        `${field}.inputs.${key}`,
        raw,
        declared?.type,
        parentInputs,
        steps,
        outputsOf,
        outputTypeOf,
      );
      if (input === undefined) continue;
      if (input.kind === 'step-output' && !planned.dependsOn.includes(input.step))
        planned.dependsOn.push(input.step);
      planned.inputs[key] = input;
    }
    for (const [key, declared] of Object.entries(c?.inputs ?? {})) {
      // A swept input is each trial's sampled value.
      if (Object.hasOwn(planned.inputs, key) || swept.has(key)) continue;
      if (declared.default !== undefined) {
        planned.inputs[key] = isFileType(declared.type)
          ? { kind: 'data', type: declared.type, path: String(declared.default) }
          : { kind: 'literal', value: declared.default };
      } else if (!declared.optional && !hasOptionalUse(planned.command, key))
        throw new HangarError(
          'ValidationFailed',
          `${field}.inputs.${key}: required by the component ${component?.ref ?? ''} (no default); bind it, e.g. \${{parent.inputs.${key}}}.`,
          `${field}.inputs.${key}`,
        );
    }

    // Outputs: the component's declared ones (types), with the step's settings and bindings to the pipeline's.
    const outs: Record<string, unknown> = {
      ...Object.fromEntries(Object.keys(c?.outputs ?? {}).map((k) => [k, null])),
      ...step.outputs,
    };
    for (const [key, raw] of Object.entries(outs)) {
      const ofield = `${field}.outputs.${key}`;
      if (c && !Object.hasOwn(c.outputs, key))
        throw graphError(
          ofield,
          `the component ${component?.ref ?? ''} has no output '${key}' (its outputs: ${Object.keys(c.outputs).join(', ') || 'none'}).`,
        );
      const type = c?.outputs[key]?.type ?? 'uri_folder';
      if (typeof raw === 'string') {
        const b = parseBinding(raw, ofield);
        if (b?.kind !== 'parent-output')
          throw graphError(
            ofield,
            `'${raw}': a step output binds to a pipeline output, \${{parent.outputs.<name>}}.`,
          );
        if (!declaredOutputs.includes(b.output))
          throw graphError(
            ofield,
            `'${raw}' names no pipeline output (declared: ${declaredOutputs.join(', ') || 'none'}).`,
          );
        const taken = plan.outputs[b.output];
        if (taken)
          throw graphError(
            ofield,
            `'${raw}': the pipeline output '${b.output}' is already jobs.${taken.step}.outputs.${taken.output}.`,
          );
        plan.outputs[b.output] = { step: name, output: key };
        planned.outputs[key] = { type };
      } else if (raw === null || raw === undefined) planned.outputs[key] = { type };
      else if (typeof raw === 'object' && !Array.isArray(raw)) {
        const o = raw as { type?: unknown; mode?: unknown };
        refuseOutputFields(ofield, raw);
        planned.outputs[key] = {
          type: typeof o.type === 'string' ? o.type : type,
          ...(typeof o.mode === 'string' ? { mode: o.mode } : {}),
        };
      } else
        throw new HangarError(
          'ValidationFailed',
          `${ofield}: an output is {type, mode}, a binding or empty; got ${JSON.stringify(raw)}.`,
          ofield,
        );
    }
    plan.steps[name] = planned;
  }
  plan.order = topologicalOrder(plan.steps);
  return plan;
}

/**
 * Output fields a pipeline does not carry out yet are refused, never accepted and dropped:
 * registering an output (`name`, `version`) and a custom `path`.
 */
function refuseOutputFields(field: string, raw: unknown): void {
  if (raw === null || typeof raw !== 'object') return;
  for (const key of ['name', 'version', 'path'])
    if ((raw as Record<string, unknown>)[key] !== undefined)
      throw new HangarError(
        'NotImplemented',
        `${field}.${key}: ${key === 'path' ? 'a custom output path' : 'registering an output as an asset'} is not supported on pipeline outputs and steps yet; register the step's output after the run (hangar data create --path azureml://jobs/<pipeline>_<step>/outputs/<name>).`,
        `${field}.${key}`,
      );
}

function stringify(vars: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(vars ?? {}).map(([k, v]) => [k, String(v)]));
}

/** An input used only inside `$[[…]]` may be left unbound (az ml's optional arguments). */
function hasOptionalUse(command: string, input: string): boolean {
  const outside = command.replace(/\$\[\[(.*?)\]\]/gs, '');
  return !new RegExp(`\\$\\{\\{\\s*inputs\\.${input}\\s*\\}\\}`).test(outside);
}

function stepInput(
  field: string,
  raw: unknown,
  declaredType: string | undefined,
  parentInputs: Record<string, PipelineInput>,
  steps: Record<string, PipelineStepSpec>,
  outputsOf: (step: string) => string[] | undefined,
  outputTypeOf: (step: string, output: string) => string | undefined,
): StepInputPlan | undefined {
  let text: string | undefined;
  let type: unknown = declaredType;
  let mode: InputMode | undefined;
  if (typeof raw === 'string') text = raw;
  else if (isScalar(raw)) return { kind: 'literal', value: raw };
  else if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const o = raw as Record<string, unknown>;
    type = o.type ?? declaredType;
    mode = modeOf(o.mode, `${field}.mode`);
    if (typeof o.path === 'string') text = o.path;
    else if (isScalar(o.value ?? o.default)) text = String(o.value ?? o.default);
    else if (o.optional === true) return undefined;
    else
      throw new HangarError(
        'ValidationFailed',
        `${field}: needs a path, a value or a binding; got ${JSON.stringify(raw)}.`,
        field,
      );
    if (typeof o.path === 'string' && !parseBinding(o.path, `${field}.path`)) {
      const t = type ?? 'uri_folder';
      if (!isFileType(t))
        throw new HangarError(
          'ValidationFailed',
          `${field}.type: a path input is one of ${fileInputTypes.join(', ')}; got ${JSON.stringify(t)}.`,
          `${field}.type`,
        );
      return { kind: 'data', type: t, path: o.path, ...(mode ? { mode } : {}) };
    }
  } else
    throw new HangarError(
      'ValidationFailed',
      `${field}: needs a value or a binding; got ${JSON.stringify(raw)}.`,
      field,
    );
  const binding = parseBinding(text, field);
  if (!binding) return { kind: 'literal', value: text };
  if (binding.kind === 'parent-output')
    throw graphError(
      field,
      `'${text}': a step input cannot read a pipeline output; bind the step that writes it, \${{parent.jobs.<step>.outputs.<name>}}.`,
    );
  if (binding.kind === 'parent-input') {
    const p = parentInputs[binding.input];
    if (!p)
      throw graphError(
        field,
        `'${text}' names no pipeline input (declared: ${Object.keys(parentInputs).join(', ') || 'none'}).`,
      );
    if (p.kind === 'literal') return p;
    const m = mode ?? p.mode;
    return { kind: 'data', type: isFileType(type) ? type : p.type, path: p.path, ...(m ? { mode: m } : {}) };
  }
  if (!steps[binding.step])
    throw graphError(
      field,
      `'${text}' names no step '${binding.step}' (steps: ${Object.keys(steps).join(', ')}).`,
    );
  const outputs = outputsOf(binding.step) ?? [];
  if (!outputs.includes(binding.output))
    throw graphError(
      field,
      `'${text}': step '${binding.step}' has no output '${binding.output}' (its outputs: ${outputs.join(', ') || 'none'}).`,
    );
  const producedType = outputTypeOf(binding.step, binding.output);
  const t = isFileType(type) ? type : isFileType(producedType) ? producedType : 'uri_folder';
  return {
    kind: 'step-output',
    step: binding.step,
    output: binding.output,
    type: t,
    ...(mode ? { mode } : {}),
  };
}

/** Steps ordered so each comes after those it reads from; a cycle is an error naming one of its bindings. */
export function topologicalOrder(steps: Record<string, Pick<StepPlan, 'dependsOn' | 'inputs'>>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name];
      // The binding that closes the cycle: the first step of the cycle reading the one before it.
      const [reader, producer] = [cycle[cycle.length - 2] ?? name, name];
      const input = Object.entries(steps[reader]?.inputs ?? {}).find(
        ([, i]) => i.kind === 'step-output' && i.step === producer,
      );
      const field = `jobs.${reader}.inputs.${input?.[0] ?? '?'}`;
      const value =
        input && input[1].kind === 'step-output'
          ? `\${{parent.jobs.${producer}.outputs.${input[1].output}}}`
          : producer;
      throw graphError(
        field,
        `'${value}' makes a cycle: ${cycle.join(' → ')}; a step cannot read its own output, directly or through other steps.`,
      );
    }
    state.set(name, 'visiting');
    for (const dep of steps[name]?.dependsOn ?? []) visit(dep, [...path, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of Object.keys(steps)) visit(name, []);
  return order;
}

/** Every step that reads, directly or through others, from `step`. */
export function descendantsOf(plan: Pick<PipelinePlan, 'steps'>, step: string): string[] {
  const out = new Set<string>();
  let frontier = [step];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const [name, s] of Object.entries(plan.steps))
      if (!out.has(name) && s.dependsOn.some((d) => frontier.includes(d))) {
        out.add(name);
        next.push(name);
      }
    frontier = next;
  }
  return [...out];
}

/** The job name of a step: `<pipeline>_<step>` (deterministic, so creating it twice is a no-op). */
export function stepJobName(pipeline: string, step: string): string {
  return `${pipeline}_${step}`;
}
