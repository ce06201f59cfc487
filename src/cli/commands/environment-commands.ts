import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml, stringify } from 'yaml';
import type { ArmResource } from '../../sdk/index.js';
import { action, clientFor, UsageError, withCommon } from '../cli-context.js';
import type { Column } from '../output.js';
import {
  addArchiveCommands,
  addListCommand,
  addShowCommand,
  addUpdateCommand,
  creationContext,
  limited,
  nameOfVersion,
  printAsset,
  readAssetDoc,
  stringMap,
  tagsOf,
  viewOf,
  type AssetFlags,
  type AssetGroup,
} from './asset-cli.js';

interface EnvFlags extends AssetFlags {
  image?: string;
  condaFile?: string;
  buildContext?: string;
  dockerfilePath?: string;
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

/** An environment version as az ml prints it: flat, snake_case, the conda file as a mapping. */
export function flatEnvironment(r: ArmResource): Record<string, unknown> {
  const p = r.properties;
  let conda: unknown;
  if (typeof p.condaFile === 'string') {
    try {
      conda = parseYaml(p.condaFile) as unknown;
    } catch {
      conda = p.condaFile;
    }
  }
  const build = p.build as { contextUri?: string; dockerfilePath?: string } | undefined;
  return {
    name: nameOfVersion(r),
    version: r.name,
    image: p.image,
    conda_file: conda,
    ...(build ? { build: { path: build.contextUri, dockerfile_path: build.dockerfilePath } } : {}),
    description: p.description,
    tags: p.tags ?? {},
    os_type: 'linux',
    kind: p.definitionKind,
    ...(p.isArchived ? { is_archived: true } : {}),
    creation_context: creationContext(r),
    id: r.id,
  };
}

const columns: Column<Record<string, unknown>>[] = [
  { header: 'Name', value: (e) => e.name },
  { header: 'Version', value: (e) => e.version },
  { header: 'Kind', value: (e) => e.kind },
  { header: 'Image', value: (e) => e.image },
  {
    header: 'Created',
    value: (e) => (e.creation_context as Record<string, unknown> | undefined)?.created_at,
  },
];

/** Reads an az ml environment YAML (+ flags) into the API's properties. */
function environmentOf(o: EnvFlags): { name: string; version?: string; properties: Record<string, unknown> } {
  const { doc, base } = readAssetDoc(o, {
    name: o.name,
    version: o.version,
    image: o.image,
    conda_file: o.condaFile,
    description: o.description,
    tags: tagsOf(o.tags),
    build:
      o.buildContext !== undefined
        ? { path: o.buildContext, ...(o.dockerfilePath ? { dockerfile_path: o.dockerfilePath } : {}) }
        : undefined,
  });
  const unknown = Object.keys(doc).filter((k) => !known.has(k));
  if (unknown.length > 0) throw new UsageError(`unknown environment field(s): ${unknown.join(', ')}`);
  if (typeof doc.name !== 'string') throw new UsageError('name: required (in the YAML or with --name)');
  const conda = doc.conda_file;
  let condaText: string | undefined;
  if (typeof conda === 'string') {
    const path = isAbsolute(conda) ? conda : resolve(base, conda);
    try {
      condaText = readFileSync(path, 'utf8');
    } catch {
      throw new UsageError(`conda_file: cannot read '${conda}' (resolved to ${path})`);
    }
  } else if (conda && typeof conda === 'object') condaText = stringify(conda);
  const properties: Record<string, unknown> = { tags: stringMap(doc.tags) };
  // `--set image=null` (YAML null) removes a field, as in az ml.
  if (doc.description !== undefined && doc.description !== null)
    properties.description = String(doc.description);
  if (doc.image !== undefined && doc.image !== null) properties.image = String(doc.image);
  if (condaText !== undefined) properties.condaFile = condaText;
  // A custom inference container's routes: kept on the version (deployments refuse to run it, saying why).
  if (doc.inference_config && typeof doc.inference_config === 'object')
    properties.inferenceConfig = doc.inference_config;
  const build = doc.build as { path?: unknown; dockerfile_path?: unknown } | null | undefined;
  if (build && typeof build === 'object') {
    if (typeof build.path !== 'string')
      throw new UsageError('build.path: required (the Docker context folder)');
    properties.build = {
      contextUri: isAbsolute(build.path) ? build.path : resolve(base, build.path),
      ...(typeof build.dockerfile_path === 'string' ? { dockerfilePath: build.dockerfile_path } : {}),
    };
  }
  const out: { name: string; version?: string; properties: Record<string, unknown> } = {
    name: doc.name,
    properties,
  };
  if (doc.version !== undefined && doc.version !== null) out.version = String(doc.version);
  return out;
}

/** `hangar environment create|show|list|update|archive|restore` (az ml environment). */
export function registerEnvironmentCommands(program: Command): void {
  const g: AssetGroup<EnvFlags> = {
    group: program.command('environment').description('Register and list job environments'),
    noun: 'an environment',
    assets: (o) => clientFor(o).environments,
    flat: flatEnvironment,
    columns,
  };
  withCommon(
    g.group
      .command('create')
      .description(
        'Create an environment version from az ml environment YAML; without a version, an identical spec reuses its version',
      ),
  )
    .option('-f, --file <file>', 'environment YAML')
    .option('-n, --name <name>', 'name')
    .option('-v, --version <version>', 'version (default: the version with this spec, else the next integer)')
    .option('-i, --image <image>', 'container image')
    .option('-c, --conda-file <file>', 'conda file')
    .option('-b, --build-context <folder>', 'Docker build context')
    .option('--dockerfile-path <path>', 'Dockerfile inside the build context')
    .option('-d, --description <text>', 'description')
    .option('--tags <pairs...>', 'tags, key=value')
    .option('-s, --set <pairs...>', 'override YAML fields')
    .action(
      action(async (o: EnvFlags) => {
        const e = environmentOf(o);
        printAsset(
          g,
          flatEnvironment(await clientFor(o).environments.create(e.name, e.version, e.properties)),
          o,
        );
      }),
    );
  addShowCommand(g);
  // One row per environment is its latest version, as az ml lists them.
  addListCommand(g, 'List environments (latest version of each), or the versions of one', async (e, o) => {
    const containers = limited(await e.listContainers(viewOf(o)), o);
    const latest = await Promise.all(
      containers.map(async (c) => {
        const v = c.properties.latestVersion;
        return e.get(c.name, typeof v === 'string' ? v : 'latest');
      }),
    );
    printAsset(g, latest.map(flatEnvironment), o);
  });
  addUpdateCommand(g, {
    description: 'Change the description or tags of a version (--set)',
    setHelp: 'description=…, tags.k=v',
    allowed: ['description', 'tags'],
    immutable: 'an environment version is immutable (create a new version)',
    apply: (p, changes) => {
      const props: Record<string, unknown> = { tags: { ...stringMap(p.tags), ...stringMap(changes.tags) } };
      for (const k of ['image', 'condaFile', 'build', 'description'] as const)
        if (p[k] !== undefined) props[k] = p[k];
      if (changes.description !== undefined) props.description = String(changes.description);
      return props;
    },
  });
  addArchiveCommands(g);
}
