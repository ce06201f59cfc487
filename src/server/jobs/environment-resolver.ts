import type { EnvironmentAliasConfig } from '../../config/config-schema.js';
import type { EnvironmentRecord } from '../../domain/environments/environment-record.js';
import { parseEnvironmentRef } from '../../domain/environments/environment-ref.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { EnvironmentDefinition } from '../../domain/nodes/agent-protocol.js';
import type { Store } from '../../store/store.js';
import { resolveCuratedImage, resolveCuratedRef } from './curated-environments.js';

/** An environment as a job will use it. */
export interface ResolvedEnvironment {
  definition: EnvironmentDefinition;
  /** How to show it (`sklearn-env:3`, `user-managed /usr/bin/python3`, …). */
  display: string;
  /** What runs is not what was asked for (a curated environment or image): said by an event on the job. */
  substituted?: boolean;
}

const strip = (s: string): string => s.replace(/^azureml:/, '');

/** The alias matching any spelling of a reference (with or without `azureml:`, version, label). */
function findAlias(
  aliases: readonly EnvironmentAliasConfig[],
  spellings: string[],
): EnvironmentAliasConfig | undefined {
  const wanted = new Set(spellings.map((s) => strip(s).toLowerCase()));
  return aliases.find((a) => wanted.has(strip(a.match).toLowerCase()));
}

function howToFix(what: string, workspace: string): string {
  return (
    `Register it in workspace '${workspace}' with \`hangar environment create -f env.yml\`, or ask the operator to add an alias ` +
    `in the server's config.yaml, e.g. environmentAliases: [{ match: '${what}', python: /usr/bin/python3 }].`
  );
}

/** Turns a registered environment into what nodes run; its image may itself be aliased. */
function fromRecord(
  record: EnvironmentRecord,
  aliases: readonly EnvironmentAliasConfig[],
): ResolvedEnvironment {
  const display = `${record.name}:${record.version}`;
  if (record.definition.kind === 'image') {
    const alias = findAlias(aliases, [record.definition.image]);
    if (alias && record.definition.condaFile)
      return {
        definition: { kind: 'conda', condaFile: record.definition.condaFile },
        display: `${display} (conda file as a venv; image ${record.definition.image} aliased)`,
      };
    if (alias?.python)
      return {
        definition: { kind: 'user-managed', python: alias.python },
        display: `${display} (image ${record.definition.image} aliased to ${alias.python})`,
      };
  }
  return { definition: record.definition, display };
}

async function resolveRef(
  store: Store,
  workspace: string,
  ref: string,
  aliases: readonly EnvironmentAliasConfig[],
  depth = 0,
): Promise<ResolvedEnvironment> {
  const parsed = parseEnvironmentRef(ref);
  const spellings = [
    ref,
    parsed.name,
    parsed.version ? `${parsed.name}:${parsed.version}` : `${parsed.name}@latest`,
  ];
  const alias = findAlias(aliases, spellings);
  if (alias?.python)
    return {
      definition: { kind: 'user-managed', python: alias.python },
      display: `${strip(ref)} (aliased to ${alias.python})`,
    };
  if (alias?.environment && depth === 0) return resolveRef(store, workspace, alias.environment, aliases, 1);
  const record = parsed.version
    ? await store.environments.get(workspace, parsed.name, parsed.version)
    : await store.environments.latest(workspace, parsed.name);
  if (!record) {
    // Azure's curated names run here through the built-in catalogue (aliases and registrations come first).
    const curated = resolveCuratedRef(ref);
    if (curated) return curated;
    const which = parsed.version ? `'${parsed.name}' version '${parsed.version}'` : `'${parsed.name}'`;
    throw new HangarError(
      'EnvironmentNotResolvable',
      `Environment ${which} is neither registered nor aliased. ${howToFix(strip(ref), workspace)}`,
      'environment',
    );
  }
  return fromRecord(record, aliases);
}

/** Inline `environment: {image, conda_file}` of a job. */
function resolveInline(
  env: { image?: string; conda_file?: string },
  aliases: readonly EnvironmentAliasConfig[],
): ResolvedEnvironment {
  if (env.conda_file) {
    if (!env.image)
      return { definition: { kind: 'conda', condaFile: env.conda_file }, display: 'inline conda file' };
    // An aliased image means "this machine's Python is the base": the conda file is built as a venv on the node.
    if (findAlias(aliases, [env.image]))
      return {
        definition: { kind: 'conda', condaFile: env.conda_file },
        display: `conda file on aliased image ${env.image}`,
      };
    // Azure's base images (openmpi, minimal…) with a conda file: the conda file on the node's Python.
    if (resolveCuratedImage(env.image))
      return {
        definition: { kind: 'conda', condaFile: env.conda_file },
        display: `conda file on image ${env.image} (substituted by the node's Python: the conda file is built as a venv with pip)`,
        substituted: true,
      };
    return {
      definition: { kind: 'image', image: env.image, condaFile: env.conda_file },
      display: `image ${env.image} + conda file`,
    };
  }
  if (!env.image)
    throw new HangarError(
      'ValidationFailed',
      'environment: an inline environment needs image or conda_file.',
      'environment',
    );
  const alias = findAlias(aliases, [env.image]);
  if (alias?.python)
    return {
      definition: { kind: 'user-managed', python: alias.python },
      display: `image ${env.image} (aliased to ${alias.python})`,
    };
  return (
    resolveCuratedImage(env.image) ?? {
      definition: { kind: 'image', image: env.image },
      display: `image ${env.image}`,
    }
  );
}

/**
 * Resolves a job's `environment` before it is queued, so a job never waits for an environment
 * that cannot exist: none → user-managed (the node's interpreter); a reference → alias, then
 * registered version (or latest); inline → conda venv or container image (aliases apply to images).
 */
export async function resolveEnvironment(
  store: Store,
  workspace: string,
  env: unknown,
  aliases: readonly EnvironmentAliasConfig[],
): Promise<ResolvedEnvironment> {
  if (env === undefined || env === null)
    return { definition: { kind: 'user-managed' }, display: 'user-managed (node default python)' };
  if (typeof env === 'string') return resolveRef(store, workspace, env, aliases);
  return resolveInline(env, aliases);
}
