import { existsSync, statSync } from 'node:fs';
import type { LineageEntry } from '../../domain/assets/asset-record.js';
import { assetRefText, datastoreUri, parseAssetRef } from '../../domain/assets/asset-refs.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import { outputPlacement } from '../../domain/jobs/command-template.js';
import { datastoreOutputs } from '../../domain/jobs/job-outputs.js';
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

/** What a compute's machine finds at a path (absent: it cannot be reached there). */
export type PathFound =
  { kind: 'absent' } | { kind: 'unreadable' } | { kind: 'file' | 'folder'; writable: boolean };

/** Asks the compute's machine about datastore paths; undefined when it cannot be asked now. */
export interface MachinePathCheck {
  /** The compute, for messages ("compute 'box' (an SSH machine, as user u)"). */
  where: string;
  probe(paths: string[]): Promise<PathFound[] | undefined>;
}

/** Where the compute's nodes run, for checking a datastore path at submission. */
export type PathCheck =
  /** Nodes run on the server's host (the local provider): the path is checked now. */
  | 'here'
  /** An attached machine its provider can ask (SSH): the path is checked there now, through its mount. */
  | MachinePathCheck
  /** Nodes elsewhere (Slurm, the submitter's machine): the agent checks it when the job starts. */
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
      : await referencedSource(deps, workspace, name, input, out);
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

/**
 * Outputs written to a folder on a hangar_path datastore: each becomes a writable bind of that
 * folder at the output's place (`outputs/<name>`), checked now where the compute's nodes can be
 * asked (the folder exists there and their user may write it), like a datastore input.
 */
export async function resolveDatastoreOutputs(
  deps: InputDeps,
  workspace: string,
  spec: JobSpec,
): Promise<JobInputDelivery[]> {
  const out: JobInputDelivery[] = [];
  for (const { output, path } of datastoreOutputs(spec)) {
    const field = `outputs.${output}.path`;
    if (spec.outputs?.[output]?.type === 'uri_file')
      throw new HangarError(
        'NotImplemented',
        `${field}: a uri_file output cannot be written to a datastore path ('${path}'); use type: uri_folder and write the file inside it.`,
        field,
      );
    if (!deps.assets)
      throw new HangarError(
        'NotImplemented',
        `${field}: '${path}' names a datastore, which this server cannot resolve.`,
        field,
      );
    const resolved = await deps.assets.resolveDataReference(workspace, path, { field });
    if (resolved.kind !== 'path')
      throw new HangarError(
        'ValidationFailed',
        `${field}: '${path}' is not a folder on a hangar_path datastore; only those can be written in place.`,
        field,
      );
    const asFolder = { type: 'uri_folder', path, mode: 'rw_mount' } as const;
    if (deps.pathCheck === 'here') checkPathHere(field, path, resolved.path, 'uri_folder');
    else if (deps.pathCheck !== 'on-node')
      await checkPathOnMachine(deps.pathCheck, field, path, resolved.path, asFolder);
    out.push({ name: output, path: outputPlacement(output), hostPath: resolved.path, mode: 'rw_mount' });
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
  input: Extract<JobInput, { path: string }>,
  out: ResolvedInputs,
): Promise<InputSource> {
  const { path, type } = input;
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
  return sourceOf(deps, name, input, resolved);
}

async function sourceOf(
  deps: InputDeps,
  name: string,
  input: Extract<JobInput, { path: string }>,
  resolved: ResolvedData,
): Promise<InputSource> {
  const { path, type } = input;
  const field = `inputs.${name}.path`;
  if (resolved.kind === 'url') return { kind: 'url', url: resolved.url };
  if (resolved.kind === 'path') {
    if (deps.pathCheck === 'here') checkPathHere(field, path, resolved.path, type);
    else if (deps.pathCheck !== 'on-node')
      await checkPathOnMachine(deps.pathCheck, field, path, resolved.path, input);
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

/**
 * A datastore path on an attached machine, as its user sees it through the machine's own mount:
 * it must be there and readable, a file for uri_file and a folder otherwise, writable for rw_mount.
 * A machine that cannot be asked now leaves the check to its agent when the job starts.
 */
async function checkPathOnMachine(
  check: MachinePathCheck,
  field: string,
  ref: string,
  hostPath: string,
  input: Extract<JobInput, { path: string }>,
): Promise<void> {
  const found = (await check.probe([hostPath]))?.[0];
  if (!found) return;
  const refuse = (why: string): never => {
    throw new HangarError('JobCannotRun', `${field}: '${ref}' is ${hostPath}, which ${why}.`, field);
  };
  if (found.kind === 'absent')
    return refuse(
      `${check.where} cannot reach (it does not exist there, or a folder on the way is closed to its user); mount the datastore's folder at the same path on the machine, or choose a compute that has it`,
    );
  if (found.kind === 'unreadable') return refuse(`${check.where} may not read`);
  checkKind(field, ref, hostPath, input.type, found.kind === 'folder');
  if (input.mode === 'rw_mount' && !found.writable) refuse(`${check.where} may not write (mode: rw_mount)`);
}

/** A file for uri_file, a folder for the other types. */
function checkKind(field: string, ref: string, hostPath: string, type: FileInputType, isDir: boolean): void {
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

/** A datastore path on nodes of this host: it must exist, as a file for uri_file and a folder otherwise. */
function checkPathHere(field: string, ref: string, hostPath: string, type: FileInputType): void {
  if (!existsSync(hostPath))
    throw new HangarError(
      'JobCannotRun',
      `${field}: '${ref}' is ${hostPath}, which does not exist where this compute's nodes run; the job could never read it.`,
      field,
    );
  checkKind(field, ref, hostPath, type, statSync(hostPath).isDirectory());
}
