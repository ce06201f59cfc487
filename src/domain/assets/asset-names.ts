import { HangarError } from '../errors/hangar-error.js';

/** Asset names as az ml checks them: a letter or digit, then letters, digits, '.', '_' or '-' (at most 255). */
export const assetNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
/** Versions: a letter or digit, then letters, digits, '.', '_' or '-' (at most 64). */
export const assetVersionPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Datastore names as Azure checks them: lower-case letters, digits and '_' (at most 255). */
export const datastoreNamePattern = /^[a-z0-9_]{1,255}$/;

/** Throws InvalidName naming the field, the rule and the value. */
export function checkAssetName(kind: string, name: string, field = 'name'): void {
  if (!assetNamePattern.test(name))
    throw new HangarError(
      'InvalidName',
      `${field}: ${kind} name '${name}' must start with a letter or digit and use only letters, digits, '.', '_' or '-' (at most 255 characters).`,
      field,
    );
}

/** Throws ValidationFailed naming the field, the rule and the value. */
export function checkAssetVersion(kind: string, version: string, field = 'version'): void {
  if (!assetVersionPattern.test(version) || version === 'latest')
    throw new HangarError(
      'ValidationFailed',
      `${field}: ${kind} version '${version}' must start with a letter or digit and use only letters, digits, '.', '_' or '-' (at most 64 characters), and is not 'latest' (a label).`,
      field,
    );
}

export function checkDatastoreName(name: string, field = 'name'): void {
  if (!datastoreNamePattern.test(name))
    throw new HangarError(
      'InvalidName',
      `${field}: datastore name '${name}' may use only lower-case letters, digits and '_' (at most 255 characters).`,
      field,
    );
}

/** The version `create` takes when none is given: one more than the highest integer version (archived ones count), else 1. */
export function nextVersion(existing: readonly string[]): string {
  let max = 0;
  for (const v of existing) if (/^\d+$/.test(v)) max = Math.max(max, Number(v));
  return String(max + 1);
}

/** Labels: `latest` is the only one Azure ML (and Hangar) knows. */
export function checkLabel(label: string, field = 'label'): void {
  if (label !== 'latest')
    throw new HangarError(
      'ValidationFailed',
      `${field}: label '${label}' is not known; 'latest' (the newest non-archived version) is the only label.`,
      field,
    );
}
