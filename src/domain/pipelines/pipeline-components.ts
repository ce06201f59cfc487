import { checkPipelineComponent } from '../assets/component-spec.js';
import { HangarError } from '../errors/hangar-error.js';
import { fileInputTypes } from '../jobs/job-inputs.js';
import { parseBinding } from './pipeline-spec.js';

/**
 * Pipeline components used as steps (`type: pipeline`, `component: ./sub.yml` or `azureml:sub@latest`)
 * are expanded into the parent's steps before planning: inner step `b` of step `s` becomes step
 * `s_b`, its bindings rewired to the parent's values. The plan, the loop and reuse then see plain
 * command (or sweep) steps, so each inner step is cached and reused on its own (docs/pipelines.md).
 */

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** How many pipeline components may nest inside each other under one pipeline job. */
export const maxPipelineComponentDepth = 5;

/** A pipeline component a step names: `ref` identifies it (pinned `azureml:<n>:<v>` or a file), `spec` its YAML form. */
export interface LoadedComponent {
  ref: string;
  spec: Json;
  /** Inlined from a file: a finite tree, so never part of a cycle (two files may share a name). */
  inline?: boolean;
}

/** Resolves a step's `component` (a reference, or a spec the CLI inlined); `field` names it in errors. */
export type ComponentLoader = (component: string | Json, field: string) => Promise<LoadedComponent>;

/** Fields a pipeline component step carries; the others belong to its inner steps. */
const nestedStepKeys = new Set([
  'type',
  'component',
  'name',
  'display_name',
  'description',
  'tags',
  'comment',
  'compute',
  'inputs',
  'outputs',
]);

const graphError = (field: string, message: string): HangarError =>
  new HangarError('PipelineGraphInvalid', `${field}: ${message}`, field);

/** A step input's binding text: the value itself, or its `path` / `value` (REST nodes and `{path, mode}`). */
function bindingText(raw: unknown): string | undefined {
  if (typeof raw === 'string') return raw;
  if (!isObj(raw)) return undefined;
  if (typeof raw.path === 'string') return raw.path;
  return typeof raw.value === 'string' ? raw.value : undefined;
}

/** `raw` with its binding text replaced (a string, or the object's `path`/`value`). */
function withText(raw: unknown, text: string): unknown {
  if (typeof raw === 'string') return text;
  if (!isObj(raw)) return raw;
  return typeof raw.path === 'string' ? { ...raw, path: text } : { ...raw, value: text };
}

/**
 * A pipeline job spec (YAML form) with every pipeline component step expanded into its inner
 * steps, recursively (at most `maxPipelineComponentDepth` deep; a component that contains itself
 * is refused). Specs without such steps come back unchanged.
 */
export async function expandPipelineComponents(spec: Json, load: ComponentLoader): Promise<Json> {
  if (!isObj(spec.jobs)) return spec;
  const jobs = await expandLevel(spec.jobs, 'jobs', load, []);
  return jobs === spec.jobs ? spec : { ...spec, jobs };
}

/** Whether a node is a pipeline component step, and its component when it is. */
async function nestedComponent(
  node: Json,
  field: string,
  load: ComponentLoader,
): Promise<LoadedComponent | undefined> {
  const c = node.component;
  if (node.type === 'pipeline') {
    if (typeof c !== 'string' && !isObj(c))
      throw new HangarError(
        'ValidationFailed',
        `${field}.component: a pipeline step names its pipeline component (./sub.yml, azureml:<name>:<version> or azureml:<name>@latest).`,
        `${field}.component`,
      );
    return load(c, `${field}.component`);
  }
  if (node.type !== undefined) return undefined;
  // Without a type, a component inlined from a file says what it is; a registered one is looked up.
  if (isObj(c)) return c.type === 'pipeline' ? load(c, `${field}.component`) : undefined;
  if (typeof c === 'string' && c.startsWith('azureml:')) {
    const loaded = await load(c, `${field}.component`);
    return loaded.spec.type === 'pipeline' ? loaded : undefined;
  }
  return undefined;
}

/** The flat steps of one component level, and which of them writes each of its outputs. */
interface ExpandedComponent {
  jobs: Json;
  producers: Record<string, { step: string; output: string }>;
}

/**
 * One level of `jobs` (`field`: where it is in the YAML): nested steps expanded, references to
 * their outputs rewired to the inner step that writes them. `stack`: the components around it.
 */
async function expandLevel(jobs: Json, field: string, load: ComponentLoader, stack: string[]): Promise<Json> {
  const nested = new Map<string, { component: LoadedComponent; inner: ExpandedComponent }>();
  for (const [name, node] of Object.entries(jobs)) {
    if (!isObj(node)) continue;
    const f = `${field}.${name}`;
    const component = await nestedComponent(node, f, load);
    if (!component) continue;
    if (!component.inline && stack.includes(component.ref))
      throw graphError(
        `${f}.component`,
        `'${component.ref}' contains itself: ${[...stack, component.ref].join(' → ')}; a pipeline component cannot be a step of itself, directly or through others.`,
      );
    if (stack.length >= maxPipelineComponentDepth)
      throw new HangarError(
        'ValidationFailed',
        `${f}.component: pipeline components nest at most ${maxPipelineComponentDepth} deep; '${component.ref}' would be level ${stack.length + 1} (${[...stack, component.ref].join(' → ')}).`,
        `${f}.component`,
      );
    nested.set(name, {
      component,
      inner: await expandComponent(component, `${f}.component`, load, [...stack, component.ref]),
    });
  }
  if (nested.size === 0) return jobs;

  // References to a nested step's outputs read the inner step that writes them.
  const rewire = (raw: unknown, at: string): unknown => {
    const text = bindingText(raw);
    const b = text === undefined ? undefined : parseBinding(text, at);
    if (b?.kind !== 'step-output' || !nested.has(b.step)) return raw;
    const producer = nested.get(b.step)?.inner.producers[b.output];
    if (!producer)
      throw graphError(
        at,
        `'${text ?? ''}': step '${b.step}' has no output '${b.output}' (its outputs: ${Object.keys(nested.get(b.step)?.inner.producers ?? {}).join(', ') || 'none'}).`,
      );
    return withText(raw, `\${{parent.jobs.${b.step}_${producer.step}.outputs.${producer.output}}}`);
  };
  const out: Json = {};
  for (const [name, node] of Object.entries(jobs)) {
    const f = `${field}.${name}`;
    const step =
      isObj(node) && isObj(node.inputs)
        ? {
            ...node,
            inputs: Object.fromEntries(
              Object.entries(node.inputs).map(([k, v]) => [k, rewire(v, `${f}.inputs.${k}`)]),
            ),
          }
        : node;
    const n = nested.get(name);
    if (!n || !isObj(step)) {
      out[name] = step;
      continue;
    }
    for (const [flat, s] of Object.entries(inline(name, step, n.component, n.inner, f))) {
      if (Object.hasOwn(jobs, flat) || Object.hasOwn(out, flat))
        throw new HangarError(
          'ValidationFailed',
          `${f}: its step '${flat.slice(name.length + 1)}' would be the step '${flat}', which this pipeline already has; rename one of them.`,
          f,
        );
      out[flat] = s;
    }
  }
  return out;
}

/** A pipeline component's own steps, flat, with the inner step writing each of its outputs. */
async function expandComponent(
  component: LoadedComponent,
  field: string,
  load: ComponentLoader,
  stack: string[],
): Promise<ExpandedComponent> {
  let spec;
  try {
    spec = checkPipelineComponent(component.spec);
  } catch (err) {
    if (!(err instanceof HangarError)) throw err;
    const target = `${field}.${(err.target ?? '').replace(/^componentSpec\.?/, '')}`.replace(/\.$/, '');
    throw new HangarError(err.code, `${field} (${component.ref}): ${err.message}`, target);
  }
  const jobs = await expandLevel(spec.jobs, `${field}.jobs`, load, stack);
  const producers: ExpandedComponent['producers'] = {};
  for (const [step, node] of Object.entries(jobs))
    for (const [output, raw] of Object.entries(isObj(node) && isObj(node.outputs) ? node.outputs : {})) {
      const text = bindingText(raw);
      const b =
        text === undefined ? undefined : parseBinding(text, `${field}.jobs.${step}.outputs.${output}`);
      if (b?.kind === 'parent-output') producers[b.output] = { step, output };
    }
  for (const output of Object.keys(spec.outputs))
    if (!producers[output])
      throw graphError(
        `${field}.outputs.${output}`,
        `no step of the pipeline component ${component.ref} writes it; bind a step output to \${{parent.outputs.${output}}}.`,
      );
  return { jobs: { ...jobs }, producers };
}

/** The value a nested step gives its component's input `key`: its own, else the component's default. */
function inputValue(node: Json, key: string, declared: Json): unknown {
  const given = isObj(node.inputs) ? node.inputs[key] : undefined;
  const type = typeof declared.type === 'string' ? declared.type : undefined;
  const isFile = type !== undefined && (fileInputTypes as readonly string[]).includes(type);
  const value = given ?? declared.default;
  if (value === undefined || value === null) return undefined;
  if (isFile && typeof value === 'string' && !value.includes('${{')) return { type, path: value };
  if (isFile && isObj(value) && value.type === undefined) return { ...value, type };
  return value;
}

/** Inner step `b` as step `<name>_b` of the level above, its `parent.*` bindings replaced by the step's. */
function inline(
  name: string,
  node: Json,
  component: LoadedComponent,
  inner: ExpandedComponent,
  field: string,
): Json {
  for (const key of Object.keys(node))
    if (!nestedStepKeys.has(key))
      throw new HangarError(
        'ValidationFailed',
        `${field}.${key}: a pipeline component step takes ${[...nestedStepKeys].join(', ')}; '${key}' belongs on the steps of ${component.ref}.`,
        `${field}.${key}`,
      );
  const declaredInputs = isObj(component.spec.inputs) ? component.spec.inputs : {};
  const declaredOutputs = isObj(component.spec.outputs) ? component.spec.outputs : {};
  for (const [kind, declared] of [
    ['inputs', declaredInputs],
    ['outputs', declaredOutputs],
  ] as const)
    for (const key of Object.keys(isObj(node[kind]) ? node[kind] : {}))
      if (!Object.hasOwn(declared, key))
        throw graphError(
          `${field}.${kind}.${key}`,
          `the pipeline component ${component.ref} has no ${kind === 'inputs' ? 'input' : 'output'} '${key}' (its ${kind}: ${Object.keys(declared).join(', ') || 'none'}).`,
        );
  const values = new Map<string, unknown>();
  for (const [key, d] of Object.entries(declaredInputs)) {
    const decl = isObj(d) ? d : {};
    const value = inputValue(node, key, decl);
    if (value === undefined && decl.optional !== true)
      throw new HangarError(
        'ValidationFailed',
        `${field}.inputs.${key}: required by the pipeline component ${component.ref} (no default); bind it, e.g. \${{parent.inputs.${key}}}.`,
        `${field}.inputs.${key}`,
      );
    values.set(key, value);
  }
  const outputs = isObj(node.outputs) ? node.outputs : {};
  const out: Json = {};
  for (const [step, raw] of Object.entries(inner.jobs)) {
    if (!isObj(raw)) continue;
    const s: Json = { ...raw };
    if (isObj(raw.inputs)) {
      const inputs: Json = {};
      for (const [k, v] of Object.entries(raw.inputs)) {
        const text = bindingText(v);
        const b =
          text === undefined ? undefined : parseBinding(text, `${field}.component.jobs.${step}.inputs.${k}`);
        if (b?.kind === 'parent-input') {
          if (!values.has(b.input))
            throw graphError(
              `${field}.component.jobs.${step}.inputs.${k}`,
              `'${text ?? ''}' names no input of ${component.ref} (its inputs: ${Object.keys(declaredInputs).join(', ') || 'none'}).`,
            );
          const value = values.get(b.input);
          if (value === undefined) continue; // an optional input left unset: the inner step's default applies
          inputs[k] = substitute(v, value);
        } else if (b?.kind === 'step-output')
          inputs[k] = withText(v, `\${{parent.jobs.${name}_${b.step}.outputs.${b.output}}}`);
        else inputs[k] = v;
      }
      s.inputs = inputs;
    }
    if (isObj(raw.outputs)) {
      const outs: Json = {};
      for (const [k, v] of Object.entries(raw.outputs)) {
        const text = bindingText(v);
        const b =
          text === undefined ? undefined : parseBinding(text, `${field}.component.jobs.${step}.outputs.${k}`);
        // The component's output: whatever the step does with it (a pipeline output, a mode, nothing).
        outs[k] = b?.kind === 'parent-output' ? (outputs[b.output] ?? null) : v;
      }
      s.outputs = outs;
    }
    if (s.compute === undefined && typeof node.compute === 'string') s.compute = node.compute;
    out[`${name}_${step}`] = s;
  }
  return out;
}

/** An inner input bound to `${{parent.inputs.x}}`, given the value x has: the inner settings (mode) kept. */
function substitute(inner: unknown, value: unknown): unknown {
  if (!isObj(inner)) return value;
  const { path: _p, value: _v, ...rest } = inner;
  if (isObj(value)) return { ...value, ...rest };
  if (typeof value === 'string') return { ...rest, path: value };
  return value;
}

/**
 * A pipeline component's graph checked at registration (its steps' components are resolved when
 * a job uses it): every `parent.inputs`, `parent.jobs` and `parent.outputs` binding names a declared
 * port or step, each output is written by one step, and no step names a local file. Errors name
 * `componentSpec.jobs.<step>.…`.
 */
export function checkPipelineComponentGraph(spec: Json): void {
  const inputs = Object.keys(isObj(spec.inputs) ? spec.inputs : {});
  const outputs = Object.keys(isObj(spec.outputs) ? spec.outputs : {});
  const jobs = isObj(spec.jobs) ? spec.jobs : {};
  const written = new Map<string, string>();
  for (const [step, node] of Object.entries(jobs)) {
    if (!isObj(node)) continue;
    const f = `componentSpec.jobs.${step}`;
    for (const key of ['component', 'trial'])
      if (typeof node[key] === 'string' && !/^azureml:/.test(node[key]))
        throw new HangarError(
          'ValidationFailed',
          `${f}.${key}: '${node[key]}' is not a registered component (azureml:<name>:<version> or azureml:<name>@latest); \`hangar component create\` reads a component file and sends it inline.`,
          `${f}.${key}`,
        );
    for (const [k, v] of Object.entries(isObj(node.inputs) ? node.inputs : {})) {
      const text = bindingText(v);
      const b = text === undefined ? undefined : parseBinding(text, `${f}.inputs.${k}`);
      if (b?.kind === 'parent-input' && !inputs.includes(b.input))
        throw graphError(
          `${f}.inputs.${k}`,
          `'${text ?? ''}' names no input of the component (declared: ${inputs.join(', ') || 'none'}).`,
        );
      if (b?.kind === 'step-output' && !Object.hasOwn(jobs, b.step))
        throw graphError(
          `${f}.inputs.${k}`,
          `'${text ?? ''}' names no step '${b.step}' (steps: ${Object.keys(jobs).join(', ')}).`,
        );
      if (b?.kind === 'parent-output')
        throw graphError(
          `${f}.inputs.${k}`,
          `'${text ?? ''}': a step input cannot read a component output; bind the step that writes it.`,
        );
    }
    for (const [k, v] of Object.entries(isObj(node.outputs) ? node.outputs : {})) {
      const text = bindingText(v);
      const b = text === undefined ? undefined : parseBinding(text, `${f}.outputs.${k}`);
      if (!b) continue;
      if (b.kind !== 'parent-output' || !outputs.includes(b.output))
        throw graphError(
          `${f}.outputs.${k}`,
          `'${text ?? ''}': a step output binds to a declared component output, \${{parent.outputs.<name>}} (declared: ${outputs.join(', ') || 'none'}).`,
        );
      const other = written.get(b.output);
      if (other)
        throw graphError(
          `${f}.outputs.${k}`,
          `'${text ?? ''}': the component output '${b.output}' is already ${other}.`,
        );
      written.set(b.output, `jobs.${step}.outputs.${k}`);
    }
  }
  for (const output of outputs)
    if (!written.has(output))
      throw graphError(
        `componentSpec.outputs.${output}`,
        `no step writes it; bind a step output to \${{parent.outputs.${output}}}.`,
      );
}
