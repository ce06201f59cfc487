import { existsSync, statSync } from 'node:fs';
import type { LineageEntry } from '../../domain/assets/asset-record.js';
import { assetRefText, datastoreUri, parseAssetRef } from '../../domain/assets/asset-refs.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import {
  planInput,
  refuseUnreadableScheme,
  type FileInputType,
  type InputSource,
} from '../../domain/jobs/job-inputs.js';
import type { JobInput, JobSpec } from '../../domain/jobs/job-spec.js';
import type { JobInputDelivery } from '../../domain/nodes/agent-protocol.js';
import { singleFileName, subManifest } from '../../domain/snapshots/sub-manifest.js';
import type { AssetResolution, ResolvedData } from '../assets/asset-resolution.js';
import type { SnapshotService } from '../snapshots/snapshot-service.js';

/** Where the compute's nodes run, for checking a datastore path at submission. */
export type PathCheck =
  /** Nodes run on the server's host (the local provider): the path is checked now. */
  | 'here'
  /** Nodes elsewhere (SSH, Slurm, the submitter's machine): the agent checks it when the job starts. */
  | 'on-node';

/** What submission needs to resolve a job's inputs. */
export interface InputDeps {
  snapshots: SnapshotService;
  /** The asset layer; absent, `azureml:` and datastore references are refused as not available. */
  assets?: AssetResolution;
  pathCheck: PathCheck;
}

/** A job's inputs, resolved. */
export interface ResolvedInputs {
  /** Every input as written (literals give their value). */
  values: Record<string, JobInput>;
  /** What the agent fetches, mounts or copies. */
  files: JobInputDelivery[];
  /** `${{inputs.x}}` of file inputs: where the agent places them, or a `direct` input's URI. */
  placed: Record<string, string>;
  /** Asset versions read, by input name (`azureml:<name>:<version>`). */
  assets: Record<string, string>;
  /** The same as lineage edges for the asset layer (job and time filled by the caller). */
  lineage: Omit<LineageEntry, 'workspace' | 'job' | 'at'>[];
}

function isFileInput(input: JobInput): input is Extract<JobInput, { path: string }> {
  return typeof input === 'object' && 'path' in input;
}

/**
 * Resolves every file, folder and model input of a job, so that a reference nobody can read is
 * refused now, naming the input: uploaded local paths, registered data and model versions,
 * datastore paths, job outputs and http(s) files; Azure storage URLs are refused with what to do.
 */
export async function resolveInputs(
  deps: InputDeps,
  workspace: string,
  spec: JobSpec,
  uploaded: Record<string, string>,
): Promise<ResolvedInputs> {
  const out: ResolvedInputs = { values: {}, files: [], placed: {}, assets: {}, lineage: [] };
  for (const [name, input] of Object.entries(spec.inputs ?? {})) {
    out.values[name] = input;
    if (!isFileInput(input)) continue;
    const type = input.type;
    const source = uploaded[name]
      ? await uploadedSource(deps, name, type, uploaded[name])
      : await referencedSource(deps, workspace, name, input.path, type, out);
    const plan = planInput(name, type, input.mode, source);
    if (plan.value !== undefined) out.placed[name] = plan.value;
    else {
      out.files.push(plan.delivery);
      out.placed[name] = plan.delivery.path;
    }
  }
  for (const name of Object.keys(uploaded)) {
    if (!(name in out.values))
      throw new HangarError(
        'ValidationFailed',
        `inputSnapshots.${name}: no input of that name in the job.`,
        `inputSnapshots.${name}`,
      );
  }
  return out;
}

async function uploadedSource(
  deps: InputDeps,
  name: string,
  type: FileInputType,
  snapshotId: string,
): Promise<InputSource> {
  // Throws NotFound naming the snapshot when the client did not upload it.
  const manifest = await deps.snapshots.getManifest(snapshotId);
  return {
    kind: 'snapshot',
    snapshotId,
    uri: datastoreUri('workspaceblobstore', `snapshots/${snapshotId}`),
    ...fileNameOf(name, type, manifest, `the uploaded ${type}`),
  };
}

function fileNameOf(
  name: string,
  type: FileInputType,
  manifest: Parameters<typeof singleFileName>[0],
  what: string,
): { fileName?: string } {
  if (type !== 'uri_file') return {};
  const fileName = singleFileName(manifest);
  if (!fileName)
    throw new HangarError(
      'ValidationFailed',
      `inputs.${name}: a uri_file input must be one file, but ${what} holds ${manifest.entries.length} entries; use type: uri_folder.`,
      `inputs.${name}.type`,
    );
  return { fileName };
}

async function referencedSource(
  deps: InputDeps,
  workspace: string,
  name: string,
  path: string,
  type: FileInputType,
  out: ResolvedInputs,
): Promise<InputSource> {
  const field = `inputs.${name}.path`;
  refuseUnreadableScheme(field, path);
  const ref = parseAssetRef(path, field);
  if (ref.kind === 'local')
    throw new HangarError(
      'ValidationFailed',
      `inputs.${name}: a ${type} input's local path needs its files uploaded (inputSnapshots.${name}); submit with \`hangar job create\`.`,
      `inputs.${name}`,
    );
  if (ref.kind === 'url') return { kind: 'url', url: ref.url };
  if (!deps.assets)
    throw new HangarError(
      'NotImplemented',
      `${field}: '${path}' names a registered asset or datastore, which this server cannot resolve.`,
      field,
    );
  const resolved = await deps.assets.resolveDataReference(workspace, path, { field });
  if (resolved.asset) {
    out.assets[name] = assetRefText(resolved.asset.name, resolved.asset.version);
    out.lineage.push({
      direction: 'input',
      port: name,
      kind: resolved.asset.assetKind,
      name: resolved.asset.name,
      version: resolved.asset.version,
    });
  }
  return sourceOf(deps, name, path, type, resolved);
}

async function sourceOf(
  deps: InputDeps,
  name: string,
  path: string,
  type: FileInputType,
  resolved: ResolvedData,
): Promise<InputSource> {
  const field = `inputs.${name}.path`;
  if (resolved.kind === 'url') return { kind: 'url', url: resolved.url };
  if (resolved.kind === 'path') {
    if (deps.pathCheck === 'here') checkPathHere(field, path, resolved.path, type);
    return { kind: 'path', hostPath: resolved.path, uri: path };
  }
  const whole = await deps.snapshots.getManifest(resolved.snapshotId);
  const part = subManifest(whole, resolved.subPath);
  if (!part)
    throw new HangarError('NotFound', `${field}: nothing at '${resolved.subPath}' in '${path}'.`, field);
  const snapshotId = part === whole ? resolved.snapshotId : (await deps.snapshots.putManifest(part)).id;
  const uri = resolved.asset ? assetRefText(resolved.asset.name, resolved.asset.version) : path;
  return { kind: 'snapshot', snapshotId, uri, ...fileNameOf(name, type, part, `'${path}'`) };
}

/** A datastore path on nodes of this host: it must exist, as a file for uri_file and a folder otherwise. */
function checkPathHere(field: string, ref: string, hostPath: string, type: FileInputType): void {
  if (!existsSync(hostPath))
    throw new HangarError(
      'JobCannotRun',
      `${field}: '${ref}' is ${hostPath}, which does not exist where this compute's nodes run; the job could never read it.`,
      field,
    );
  const isDir = statSync(hostPath).isDirectory();
  if (type === 'uri_file' && isDir)
    throw new HangarError(
      'ValidationFailed',
      `${field}: '${ref}' is a folder (${hostPath}); a uri_file input names one file: use type: uri_folder.`,
      field,
    );
  if (type !== 'uri_file' && !isDir)
    throw new HangarError(
      'ValidationFailed',
      `${field}: '${ref}' is a file (${hostPath}); a ${type} input names a folder: use type: uri_file.`,
      field,
    );
}
