import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { formatBytes } from '../../domain/snapshots/format-bytes.js';
import { applySetOverrides } from '../../domain/jobs/set-overrides.js';
import type { HangarClient, JobSubmission } from '../../sdk/index.js';
import { buildFileSnapshot, buildSnapshot, type BuiltSnapshot } from '../../snapshots/snapshot-builder.js';
import { uploadSnapshot } from '../../snapshots/snapshot-client.js';
import { hashCacheFile } from '../../snapshots/hash-cache.js';
import { resolveHome } from '../../config/config.js';
import { progress, UsageError } from '../cli-context.js';
import { yamlToComputeRequest } from '../compute-yaml.js';
import { snapshotUri } from '../../domain/assets/snapshot-uri.js';
import { preparePipeline, type PipelineUpload } from './pipeline-submit.js';
import { liftTrial, restoreTrial } from './sweep-submit.js';

/** A job file read and resolved against its folder, with what must be uploaded. */
export interface PreparedJob {
  spec: Record<string, unknown>;
  code?: { dir: string; built: BuiltSnapshot };
  inputs: { name: string; built: BuiltSnapshot }[];
  /** A pipeline's uploads (step code, component code, local inputs), each put back into the spec as its snapshot URI. */
  uploads?: PipelineUpload[];
}

function readYaml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    const doc = parseYaml(text) as unknown;
    if (!doc || typeof doc !== 'object' || Array.isArray(doc))
      throw new UsageError(`${file}: must be a mapping of az ml job fields`);
    return doc as Record<string, unknown>;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${file}: invalid YAML: ${(err as Error).message}`);
  }
}

const local = (base: string, p: string): string => (isAbsolute(p) ? p : resolve(base, p));

/** Input types whose local path is uploaded as a snapshot. */
const uploadedTypes = new Set([
  'uri_file',
  'uri_folder',
  'mltable',
  'custom_model',
  'mlflow_model',
  'triton_model',
]);

/** Reads the job YAML, applies --name/--set, inlines conda files, snapshots code and inputs. */
export async function prepareJob(
  file: string,
  name: string | undefined,
  sets: string[],
): Promise<PreparedJob> {
  const base = dirname(resolve(file));
  const spec = applySetOverrides(readYaml(file), sets);
  if (name) spec.name = name;
  if (spec.type === 'pipeline') return { spec, inputs: [], uploads: await preparePipeline(spec, file) };
  // A sweep's code and environment live under trial:; they are uploaded and inlined as a command job's.
  const trial = liftTrial(spec);
  const env = spec.environment;
  if (env && typeof env === 'object' && typeof (env as Record<string, unknown>).conda_file === 'string') {
    const path = local(base, (env as Record<string, string>).conda_file ?? '');
    if (!existsSync(path))
      throw new UsageError(
        `environment.conda_file: '${(env as Record<string, string>).conda_file}' does not exist (resolved to ${path})`,
      );
    spec.environment = { ...env, conda_file: readFileSync(path, 'utf8') };
  }
  // Run-based compute (as Azure's): an inline cluster spec becomes the API's create body; the
  // server makes a cluster for this job and deletes it when the job ends.
  if (spec.compute !== null && typeof spec.compute === 'object') {
    const inline = spec.compute as Record<string, unknown>;
    spec.compute = yamlToComputeRequest({ type: 'amlcompute', ...inline, name: 'run-based' }, (path) =>
      readFileSync(local(base, path), 'utf8'),
    ).body;
  }
  const prepared: PreparedJob = { spec, inputs: [] };
  if (typeof spec.code === 'string') {
    if (/^(azureml:|https?:)/.test(spec.code))
      throw new UsageError(`code: '${spec.code}' is not a local folder; Hangar uploads local code only`);
    const dir = local(base, spec.code);
    // Named as the YAML says it, relative to the YAML's folder, not as a raw ENOENT.
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw new UsageError(
        `code: '${spec.code}' must be a folder next to the job YAML (resolved to ${dir}); ${existsSync(dir) ? 'it is a file' : 'it does not exist'}`,
      );
    prepared.code = {
      dir,
      built: await buildSnapshot(dir, { hashCacheFile: hashCacheFile(resolveHome(), dir) }),
    };
  }
  for (const [key, input] of Object.entries((spec.inputs ?? {}) as Record<string, unknown>)) {
    const i = input as { type?: string; path?: string } | null;
    if (!i || typeof i !== 'object' || !uploadedTypes.has(i.type ?? '') || !i.path) continue;
    // References (registered assets, datastores, job outputs, URLs, Azure storage) go to the server as written: it resolves or refuses them.
    if (/^(azureml:|[a-z][a-z0-9+.-]*:\/\/)/i.test(i.path)) continue;
    const path = local(base, i.path);
    if (!existsSync(path))
      throw new UsageError(
        `inputs.${key}.path: '${i.path}' does not exist (resolved to ${path}, relative to the job YAML)`,
      );
    const isDir = statSync(path).isDirectory();
    if (i.type === 'uri_file' && isDir)
      throw new UsageError(`inputs.${key}: uri_file path ${path} is a folder`);
    prepared.inputs.push({
      name: key,
      built: isDir
        ? await buildSnapshot(path, { hashCacheFile: hashCacheFile(resolveHome(), path) })
        : await buildFileSnapshot(path),
    });
  }
  if (trial) restoreTrial(spec, trial);
  return prepared;
}

/** What `--dry-run` prints: files, bytes, largest, what the ignore files left out. */
export function describeUpload(p: PreparedJob): string {
  const lines: string[] = [];
  if (p.code) {
    const s = p.code.built.summary;
    lines.push(`code ${p.code.dir}: ${s.fileCount} files, ${formatBytes(s.totalBytes)}`);
    for (const f of s.largest) lines.push(`  largest: ${f.path} (${formatBytes(f.size)})`);
    for (const e of s.excluded) lines.push(`  excluded: ${e.path} by ${e.by}`);
  } else lines.push('code: none');
  for (const i of p.inputs)
    lines.push(
      `input ${i.name}: ${i.built.summary.fileCount} files, ${formatBytes(i.built.summary.totalBytes)}`,
    );
  for (const u of p.uploads ?? [])
    lines.push(`${u.label}: ${u.built.summary.fileCount} files, ${formatBytes(u.built.summary.totalBytes)}`);
  return lines.join('\n');
}

/** Uploads snapshots (only blobs the server lacks) and returns the submission. */
export async function uploadJob(client: HangarClient, p: PreparedJob): Promise<JobSubmission> {
  const transport = { url: client.http.url, headers: client.http.headers() };
  const submission: JobSubmission = { spec: p.spec, inputSnapshots: {} };
  if (p.code) {
    const r = await uploadSnapshot(transport, p.code.built, (done, total) =>
      progress(`uploading code: ${done}/${total} files`),
    );
    progress(
      `code: ${p.code.built.summary.fileCount} files; uploaded ${r.uploadedBlobs} (${formatBytes(r.uploadedBytes)}), ${r.reusedBlobs} already on the server`,
    );
    submission.codeSnapshotId = r.snapshotId;
  }
  for (const i of p.inputs) {
    const r = await uploadSnapshot(transport, i.built);
    progress(`input ${i.name}: uploaded ${r.uploadedBlobs} file(s), ${r.reusedBlobs} already on the server`);
    (submission.inputSnapshots as Record<string, string>)[i.name] = r.snapshotId;
  }
  for (const u of p.uploads ?? []) {
    const r = await uploadSnapshot(transport, u.built);
    progress(`${u.label}: uploaded ${r.uploadedBlobs} file(s), ${r.reusedBlobs} already on the server`);
    u.set(snapshotUri(r.snapshotId));
  }
  return submission;
}
