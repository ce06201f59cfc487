import { HangarError } from '../errors/hangar-error.js';

/** What an asset reference in a job, a YAML file or a flag names. */
export type AssetRef =
  | { kind: 'asset'; name: string; version: string }
  | { kind: 'asset'; name: string; label: string }
  | { kind: 'datastore-path'; datastore: string; path: string }
  | { kind: 'job-output'; job: string; output: string; path: string }
  | { kind: 'url'; url: string }
  | { kind: 'local'; path: string };

const name = '[A-Za-z0-9][A-Za-z0-9._-]{0,254}';
const version = '[A-Za-z0-9][A-Za-z0-9._-]{0,63}';

function refused(text: string, field: string): HangarError {
  return new HangarError(
    'ValidationFailed',
    `${field}: '${text}' is not a reference Hangar reads: use azureml:<name>:<version>, azureml:<name>@<label>, azureml://datastores/<datastore>/paths/<path>, azureml://jobs/<job>/outputs/<output>/paths/<path>, an https:// URL or a local path.`,
    field,
  );
}

/**
 * Parses the ways az ml names data and models: `azureml:<name>:<version>`, `azureml:<name>@latest`
 * (any label), `azureml://datastores/<ds>/paths/<path>`, `azureml://jobs/<job>/outputs/<out>/paths/<path>`
 * (also `…/outputs/<out>` alone), `http(s)://…` and, without a scheme, a local path. `field` names
 * where the text came from, for the error.
 */
export function parseAssetRef(text: string, field = 'path'): AssetRef {
  const t = text.trim();
  if (t === '') throw refused(text, field);
  const ds = /^azureml:\/\/datastores\/([^/]+)\/paths\/?(.*)$/.exec(t);
  if (ds) {
    const path = ds[2] ?? '';
    if (!new RegExp(`^${name}$`).test(ds[1] ?? '') || path.split('/').includes('..'))
      throw refused(text, field);
    return { kind: 'datastore-path', datastore: ds[1] ?? '', path };
  }
  const job = /^azureml:\/\/jobs\/([^/]+)\/outputs\/([^/]+)(?:\/paths\/?(.*))?$/.exec(t);
  if (job) {
    const path = job[3] ?? '';
    if (path.split('/').includes('..')) throw refused(text, field);
    return { kind: 'job-output', job: job[1] ?? '', output: job[2] ?? '', path };
  }
  if (/^azureml:\/\//.test(t)) throw refused(text, field);
  if (t.startsWith('azureml:')) {
    const s = t.slice('azureml:'.length);
    const at = new RegExp(`^(${name})@([A-Za-z0-9][\\w.-]*)$`).exec(s);
    if (at) return { kind: 'asset', name: at[1] ?? '', label: at[2] ?? '' };
    const colon = new RegExp(`^(${name}):(${version})$`).exec(s);
    if (colon) return { kind: 'asset', name: colon[1] ?? '', version: colon[2] ?? '' };
    throw refused(text, field);
  }
  if (/^https?:\/\//i.test(t)) {
    try {
      new URL(t);
    } catch {
      throw refused(text, field);
    }
    return { kind: 'url', url: t };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t)) throw refused(text, field);
  return { kind: 'local', path: t };
}

/** The reference text for an asset version, as az ml writes it. */
export function assetRefText(assetName: string, assetVersion: string): string {
  return `azureml:${assetName}:${assetVersion}`;
}

/** The URI of a path in a datastore. */
export function datastoreUri(datastore: string, path: string): string {
  return `azureml://datastores/${datastore}/paths/${path.replace(/^\/+/, '')}`;
}
