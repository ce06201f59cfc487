import { HangarError } from '../errors/hangar-error.js';

/** A reference to a registered (or aliased) environment. */
export interface EnvironmentRef {
  name: string;
  version?: string;
  label?: 'latest';
}

/**
 * Parses the ways az ml names an environment: `azureml:name:version`, `name:version`,
 * `name@latest`, `azureml:name@latest`, `azureml://registries/<r>/environments/<name>/versions/<v>`
 * and `…/labels/latest`. A bare name means latest.
 */
export function parseEnvironmentRef(text: string): EnvironmentRef {
  const registry =
    /^azureml:\/\/registries\/[^/]+\/environments\/([^/]+)\/(versions\/([^/]+)|labels\/latest)$/.exec(text);
  if (registry)
    return registry[3]
      ? { name: registry[1] ?? '', version: registry[3] }
      : { name: registry[1] ?? '', label: 'latest' };
  const s = text.replace(/^azureml:/, '');
  const at = /^([A-Za-z0-9][\w.-]*)@latest$/.exec(s);
  if (at) return { name: at[1] ?? '', label: 'latest' };
  const colon = /^([A-Za-z0-9][\w.-]*)(?::([\w.-]+))?$/.exec(s);
  if (colon)
    return colon[2] ? { name: colon[1] ?? '', version: colon[2] } : { name: colon[1] ?? '', label: 'latest' };
  throw new HangarError(
    'ValidationFailed',
    `environment: '${text}' is not an environment reference (name:version, name@latest, azureml:name:version or azureml://registries/…).`,
    'environment',
  );
}
