import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml, stringify } from 'yaml';
import { applySetOverrides } from '../../domain/jobs/set-overrides.js';
import type { EnvironmentVersion } from '../../sdk/environments.js';
import { action, clientFor, UsageError, withCommon, type CommonOptions } from '../cli-context.js';
import { print, type Column } from '../output.js';

interface EnvFlags extends CommonOptions {
  file?: string;
  name?: string;
  version?: string;
  image?: string;
  condaFile?: string;
  set?: string[];
}

const known = new Set([
  '$schema',
  'name',
  'version',
  'description',
  'tags',
  'image',
  'conda_file',
  'build',
  'os_type',
  'inference_config',
]);
const columns: Column<EnvironmentVersion>[] = [
  { header: 'Name', value: (e) => e.name },
  { header: 'Version', value: (e) => e.version },
  { header: 'Kind', value: (e) => e.properties.definitionKind },
  { header: 'Image', value: (e) => e.properties.image },
  { header: 'Created', value: (e) => e.properties.createdAt },
];

/** Reads an az ml environment YAML (+ flags) into the API's properties. */
function environmentOf(o: EnvFlags): { name: string; version: string; properties: Record<string, unknown> } {
  const base = o.file ? dirname(resolve(o.file)) : process.cwd();
  let doc: Record<string, unknown> = o.file
    ? ((parseYaml(readFileSync(o.file, 'utf8')) as Record<string, unknown> | null) ?? {})
    : {};
  doc = applySetOverrides(
    {
      ...doc,
      ...(o.name ? { name: o.name } : {}),
      ...(o.version ? { version: o.version } : {}),
      ...(o.image ? { image: o.image } : {}),
      ...(o.condaFile ? { conda_file: o.condaFile } : {}),
    },
    o.set ?? [],
  );
  const unknown = Object.keys(doc).filter((k) => !known.has(k));
  if (unknown.length > 0) throw new UsageError(`unknown environment field(s): ${unknown.join(', ')}`);
  if (doc.build !== undefined)
    throw new UsageError(
      'build: building images from a Docker context is not supported here; give image and/or conda_file',
    );
  if (typeof doc.name !== 'string') throw new UsageError('name: required (in the YAML or with --name)');
  const conda = doc.conda_file;
  const condaText =
    typeof conda === 'string'
      ? readFileSync(isAbsolute(conda) ? conda : resolve(base, conda), 'utf8')
      : conda && typeof conda === 'object'
        ? stringify(conda)
        : undefined;
  const properties: Record<string, unknown> = {
    tags: Object.fromEntries(
      Object.entries((doc.tags ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
    ),
  };
  // `--set image=null` (YAML null) removes a field, as in az ml.
  if (doc.description !== undefined && doc.description !== null)
    properties.description = String(doc.description);
  if (doc.image !== undefined && doc.image !== null) properties.image = String(doc.image);
  if (condaText !== undefined) properties.condaFile = condaText;
  return { name: doc.name, version: String(doc.version ?? '1'), properties };
}

/** `hangar environment create|show|list`. */
export function registerEnvironmentCommands(program: Command): void {
  const env = program.command('environment').description('Register and list job environments');
  withCommon(env.command('create').description('Create an environment version from az ml environment YAML'))
    .option('-f, --file <file>', 'environment YAML')
    .option('-n, --name <name>', 'name')
    .option('-v, --version <version>', 'version (default 1)')
    .option('--image <image>', 'container image')
    .option('--conda-file <file>', 'conda file')
    .option('--set <pairs...>', 'override YAML fields')
    .action(
      action(async (o: EnvFlags) => {
        const e = environmentOf(o);
        print(await clientFor(o).environments.create(e.name, e.version, e.properties), o, columns);
      }),
    );
  withCommon(env.command('show').description('Show an environment version'))
    .requiredOption('-n, --name <name>', 'name')
    .option('-v, --version <version>', 'version (default latest)')
    .action(
      action(async (o: EnvFlags) =>
        print(await clientFor(o).environments.get(o.name ?? '', o.version ?? 'latest'), o, columns),
      ),
    );
  withCommon(env.command('list').description('List environment versions'))
    .option('-n, --name <name>', 'only this name')
    .action(action(async (o: EnvFlags) => print(await clientFor(o).environments.list(o.name), o, columns)));
}
