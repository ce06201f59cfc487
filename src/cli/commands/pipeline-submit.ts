import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { resolveHome } from '../../config/config.js';
import { maxPipelineComponentDepth } from '../../domain/pipelines/pipeline-components.js';
import { buildFileSnapshot, buildSnapshot, type BuiltSnapshot } from '../../snapshots/snapshot-builder.js';
import { hashCacheFile } from '../../snapshots/hash-cache.js';
import { UsageError } from '../usage-error.js';

/** A local folder or file of a pipeline to upload; `set` puts its snapshot URI where the YAML named the path. */
export interface PipelineUpload {
  label: string;
  built: BuiltSnapshot;
  set: (uri: string) => void;
}

type Doc = Record<string, unknown>;
const local = (base: string, p: string): string => (isAbsolute(p) ? p : resolve(base, p));
const isDoc = (v: unknown): v is Doc => v !== null && typeof v === 'object' && !Array.isArray(v);
/** References the server resolves (registered assets, datastores, job outputs, URLs) and bindings stay as written. */
const isReference = (p: string): boolean =>
  /^(azureml:|[a-z][a-z0-9+.-]*:\/\/)/i.test(p) || p.includes('${{');
const uploadedTypes = new Set([
  'uri_file',
  'uri_folder',
  'mltable',
  'custom_model',
  'mlflow_model',
  'triton_model',
]);

async function folder(path: string, field: string, shown: string): Promise<BuiltSnapshot> {
  if (!existsSync(path) || !statSync(path).isDirectory())
    throw new UsageError(
      `${field}: '${shown}' must be a folder (resolved to ${path}); ${existsSync(path) ? 'it is a file' : 'it does not exist'}`,
    );
  return buildSnapshot(path, { hashCacheFile: hashCacheFile(resolveHome(), path) });
}

function readYamlFile(path: string, field: string, shown: string): Doc {
  if (!existsSync(path)) throw new UsageError(`${field}: '${shown}' does not exist (resolved to ${path})`);
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`${field}: ${path}: invalid YAML: ${(err as Error).message}`);
  }
  if (!isDoc(doc)) throw new UsageError(`${field}: ${path} must be a mapping of component fields`);
  return doc;
}

/** File and folder inputs with a local path: uploaded, their path becoming the snapshot URI. */
async function inputUploads(
  base: string,
  inputs: unknown,
  field: string,
  out: PipelineUpload[],
): Promise<void> {
  if (!isDoc(inputs)) return;
  for (const [key, input] of Object.entries(inputs)) {
    if (!isDoc(input) || typeof input.path !== 'string' || isReference(input.path)) continue;
    if (!uploadedTypes.has(String(input.type ?? 'uri_folder'))) continue;
    const path = local(base, input.path);
    if (!existsSync(path))
      throw new UsageError(
        `${field}.${key}.path: '${input.path}' does not exist (resolved to ${path}, relative to the pipeline YAML)`,
      );
    const isDir = statSync(path).isDirectory();
    if (input.type === 'uri_file' && isDir)
      throw new UsageError(`${field}.${key}: uri_file path ${path} is a folder`);
    out.push({
      label: `${field}.${key}`,
      built: isDir ? await folder(path, `${field}.${key}.path`, input.path) : await buildFileSnapshot(path),
      set: (uri) => (input.path = uri),
    });
  }
}

/** An environment's conda_file path (relative to `base`): inlined, as text or as parsed YAML. */
function inlineConda(env: unknown, base: string, field: string, parse: boolean): unknown {
  if (!isDoc(env) || typeof env.conda_file !== 'string') return env;
  const path = local(base, env.conda_file);
  if (!existsSync(path))
    throw new UsageError(`${field}.conda_file: '${env.conda_file}' does not exist (resolved to ${path})`);
  const text = readFileSync(path, 'utf8');
  return { ...env, conda_file: parse ? (parseYaml(text) as unknown) : text };
}

/**
 * A pipeline YAML made ready to send: a step's local `code`, a local input's path and a component
 * file (`component: ./train.yml`, or a sweep step's `trial: ./train.yml`, read relative to the
 * pipeline YAML, its own code relative to itself) are resolved here, as for a command job; a
 * pipeline component file's steps likewise, relative to it. The uploads are returned to run after.
 */
export async function preparePipeline(spec: Doc, file: string): Promise<PipelineUpload[]> {
  const base = dirname(resolve(file));
  const uploads: PipelineUpload[] = [];
  await inputUploads(base, spec.inputs, 'inputs', uploads);
  await prepareSteps(base, spec.jobs, 'jobs', uploads, [resolve(file)]);
  return uploads;
}

/** A pipeline component YAML (`hangar component create`): its steps' files read and uploaded as a pipeline's. */
export async function preparePipelineComponent(spec: Doc, file: string): Promise<PipelineUpload[]> {
  const uploads: PipelineUpload[] = [];
  await prepareSteps(dirname(resolve(file)), spec.jobs, 'jobs', uploads, [resolve(file)]);
  return uploads;
}

/** The steps of one `jobs` mapping, files relative to `base`; `files`: the YAML files around them (cycles). */
async function prepareSteps(
  base: string,
  jobs: unknown,
  prefix: string,
  uploads: PipelineUpload[],
  files: string[],
): Promise<void> {
  for (const [name, step] of Object.entries(isDoc(jobs) ? jobs : {})) {
    if (!isDoc(step)) continue;
    const field = `${prefix}.${name}`;
    if (typeof step.code === 'string' && !isReference(step.code)) {
      const code = step.code;
      uploads.push({
        label: `${field}.code`,
        built: await folder(local(base, code), `${field}.code`, code),
        set: (uri) => (step.code = uri),
      });
    }
    step.environment = inlineConda(step.environment, base, `${field}.environment`, false);
    await inputUploads(base, step.inputs, `${field}.inputs`, uploads);
    // A sweep step names its trial component `trial` (az ml's pipeline_with_hyperparameter_sweep).
    const key = step.type === 'sweep' ? 'trial' : 'component';
    const ref = step[key];
    if (typeof ref === 'string' && !ref.startsWith('azureml:'))
      step[key] = await componentFile(base, ref, `${field}.${key}`, uploads, files);
  }
}

/**
 * A component file named by a step: read (relative to the pipeline YAML), its code uploaded, its
 * conda file inlined; a pipeline component's own steps prepared relative to it (a file that
 * includes itself, or nesting past the server's limit, is refused here, naming the field).
 */
async function componentFile(
  base: string,
  ref: string,
  field: string,
  uploads: PipelineUpload[],
  files: string[],
): Promise<Doc> {
  const path = local(base, ref);
  const component = readYamlFile(path, field, ref);
  const dir = dirname(path);
  if (component.type === 'pipeline') {
    if (files.includes(path))
      throw new UsageError(
        `${field}: '${ref}' contains itself: ${[...files, path].join(' → ')}; a pipeline component cannot be a step of itself`,
      );
    // The pipeline YAML itself is files[0]; the components nest below it.
    if (files.length > maxPipelineComponentDepth)
      throw new UsageError(
        `${field}: '${ref}': pipeline components nest at most ${maxPipelineComponentDepth} deep (${[...files, path].join(' → ')})`,
      );
    await prepareSteps(dir, component.jobs, `${field}: ${ref}: jobs`, uploads, [...files, path]);
    return component;
  }
  if (typeof component.code === 'string' && !isReference(component.code)) {
    const code = component.code;
    uploads.push({
      label: `${field} code`,
      built: await folder(local(dir, code), `${field}: ${ref}: code`, code),
      set: (uri) => (component.code = uri),
    });
  }
  component.environment = inlineConda(component.environment, dir, `${field}: environment`, true);
  return component;
}
