import { HangarError } from '../errors/hangar-error.js';

/** How a job reads a file or folder input (az ml's `mode`). */
export type InputMode = 'ro_mount' | 'rw_mount' | 'download' | 'direct';

/** The file and folder input types (everything but literals). */
export const fileInputTypes = [
  'uri_file',
  'uri_folder',
  'mltable',
  'custom_model',
  'mlflow_model',
  'triton_model',
] as const;
export type FileInputType = (typeof fileInputTypes)[number];

/** Where an input's bytes are, once its reference is resolved. */
export type InputSource =
  /** Stored in Hangar's content-addressed store (uploaded, a data or model version, a job's output). */
  | { kind: 'snapshot'; snapshotId: string; fileName?: string; uri: string }
  /** A folder or file on a Hangar datastore, at the same absolute path on every node. */
  | { kind: 'path'; hostPath: string; uri: string }
  /** An http(s) file, downloaded on the node. */
  | { kind: 'url'; url: string };

/** What the agent is told about one input (see jobInputSchema in the agent protocol). */
export interface InputDelivery {
  name: string;
  /** Where it appears, relative to the job's folder: `inputs/<name>` (or `inputs/<name>/<file>`). */
  path: string;
  mode: Exclude<InputMode, 'direct'>;
  snapshotId?: string;
  hostPath?: string;
  url?: string;
}

/** Storage schemes of Azure that no Hangar node can read, and what each one is. */
const azureSchemes: Readonly<Record<string, string>> = {
  wasb: 'Azure Blob storage',
  wasbs: 'Azure Blob storage',
  abfs: 'Azure Data Lake Storage Gen2',
  abfss: 'Azure Data Lake Storage Gen2',
  adl: 'Azure Data Lake Storage Gen1',
};

/**
 * Refuses, at submission, the remote storage no node here can read, naming the input and what to
 * do instead. Answers nothing for everything else.
 */
export function refuseUnreadableScheme(field: string, path: string): void {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(path)?.[1]?.toLowerCase();
  if (!scheme) return;
  const azure = azureSchemes[scheme];
  if (azure || ['s3', 's3a', 'gs', 'hdfs'].includes(scheme))
    throw new HangarError(
      'ValidationFailed',
      `${field}: '${path}' is ${azure ?? `${scheme}:// storage`}, which Hangar's nodes cannot read. Register the files as data (\`hangar data create --path <local folder>\`), put them on a Hangar datastore (azureml://datastores/<name>/paths/<path>) or give an https:// URL.`,
      field,
    );
}

/** The file name an https URL is saved under: its last path segment, made safe. */
export function urlFileName(url: string): string {
  let last = '';
  try {
    last = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  } catch {
    last = '';
  }
  const safe = last.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  return safe === '' ? 'file' : safe.slice(0, 200);
}

/** The last segment of a path (a datastore file's name). */
function baseName(path: string): string {
  return (
    path
      .split('/')
      .filter((p) => p !== '')
      .pop() ?? 'file'
  );
}

/**
 * Decides how the agent delivers one resolved input, or the string a `direct` input becomes.
 * Defaults: stored data is copied (`download`, as Hangar always did), a datastore folder is
 * mounted read-only (`ro_mount`, no copy), a URL is downloaded. `rw_mount` writes into its
 * source: allowed on datastore folders only (a stored version is immutable); a URL cannot be
 * mounted writable, nor listed as a folder over plain HTTP.
 */
export function planInput(
  name: string,
  type: FileInputType,
  mode: InputMode | undefined,
  source: InputSource,
): { delivery: InputDelivery; value?: undefined } | { value: string; delivery?: undefined } {
  const field = `inputs.${name}`;
  const file = type === 'uri_file';
  if (source.kind === 'url' && !file)
    throw new HangarError(
      'ValidationFailed',
      `${field}.path: '${source.url}' is an http(s) URL for a ${type} input; a folder cannot be listed over plain HTTP, so only single files (type: uri_file) are read from URLs. Register the folder as data, or give each file as its own uri_file input.`,
      `${field}.path`,
    );
  if (mode === 'direct')
    return {
      value: source.kind === 'url' ? source.url : source.kind === 'path' ? source.hostPath : source.uri,
    };
  if (mode === 'rw_mount' && source.kind !== 'path')
    throw new HangarError(
      'ValidationFailed',
      `${field}.mode: rw_mount writes into the input's source, and ${source.kind === 'url' ? 'an http(s) URL cannot be written' : 'a stored data or model version is immutable'}; use download for a private writable copy, or ro_mount.`,
      `${field}.mode`,
    );
  const chosen = mode ?? (source.kind === 'path' ? 'ro_mount' : 'download');
  const fileName =
    source.kind === 'url'
      ? urlFileName(source.url)
      : source.kind === 'path'
        ? baseName(source.hostPath)
        : source.fileName;
  const delivery: InputDelivery = {
    name,
    path: file && fileName ? `inputs/${name}/${fileName}` : `inputs/${name}`,
    mode: chosen,
  };
  if (source.kind === 'snapshot') delivery.snapshotId = source.snapshotId;
  else if (source.kind === 'path') delivery.hostPath = source.hostPath;
  else delivery.url = source.url;
  return { delivery };
}
