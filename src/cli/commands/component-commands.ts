import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { parseAssetRef } from '../../domain/assets/asset-refs.js';
import { snapshotUri } from '../../domain/assets/snapshot-uri.js';
import type { ArmResource, HangarClient } from '../../sdk/index.js';
import { uploadSnapshot } from '../../snapshots/snapshot-client.js';
import { action, clientFor, progress, UsageError, withCommon } from '../cli-context.js';
import type { Column } from '../output.js';
import {
  addArchiveCommands,
  addListCommand,
  addShowCommand,
  creationContext,
  nameOfVersion,
  printAsset,
  readAssetDoc,
  stringMap,
  uploadLocal,
  type AssetFlags,
  type AssetGroup,
} from './asset-cli.js';
import { preparePipelineComponent } from './pipeline-submit.js';

/** A component version as az ml prints it: its spec (YAML keys) with id, name, version and creation_context. */
export function flatComponent(r: ArmResource): Record<string, unknown> {
  const spec = (r.properties.componentSpec ?? {}) as Record<string, unknown>;
  const { $schema: _s, ...rest } = spec;
  return {
    ...rest,
    name: nameOfVersion(r),
    version: r.name,
    description: r.properties.description ?? spec.description,
    tags: r.properties.tags ?? {},
    creation_context: creationContext(r),
    id: r.id,
    ...(r.properties.isArchived ? { is_archived: true } : {}),
  };
}

/** Reads a pipeline component's step files and uploads their code, setting each snapshot URI in `spec`. */
async function uploadPipelineSteps(
  client: HangarClient,
  spec: Record<string, unknown>,
  file: string,
): Promise<void> {
  const transport = { url: client.http.url, headers: client.http.headers() };
  for (const u of await preparePipelineComponent(spec, file)) {
    const r = await uploadSnapshot(transport, u.built);
    progress(`${u.label}: uploaded ${r.uploadedBlobs} file(s), ${r.reusedBlobs} already on the server`);
    u.set(snapshotUri(r.snapshotId));
  }
}

const columns: Column<Record<string, unknown>>[] = [
  { header: 'Name', value: (r) => r.name },
  { header: 'Version', value: (r) => r.version },
  { header: 'Type', value: (r) => r.type },
  { header: 'Display name', value: (r) => r.display_name },
];

/** `hangar component create|show|list|archive|restore` (az ml component; command components). */
export function registerComponentCommands(program: Command): void {
  const g: AssetGroup = {
    group: program
      .command('component')
      .description('Components (az ml component; command and pipeline components)'),
    noun: 'a component',
    assets: (o) => clientFor(o).components,
    flat: flatComponent,
    columns,
  };

  withCommon(
    g.group
      .command('create')
      .description('Create a component version from commandComponent or pipelineComponent YAML'),
  )
    .requiredOption('-f, --file <file>', 'component YAML')
    .option('-n, --name <name>', 'name (overrides the YAML)')
    .option('-v, --version <version>', 'version (default: the YAML, else the next integer)')
    .option('-s, --set <pairs...>', 'override YAML fields, key.path=value')
    .action(
      action(async (o: AssetFlags) => {
        const { doc, base } = readAssetDoc(o, { name: o.name, version: o.version });
        if (typeof doc.name !== 'string') throw new UsageError('name: required (in the YAML or with --name)');
        const client = clientFor(o);
        const spec: Record<string, unknown> = { ...doc };
        // A pipeline component: its steps' component files, code and local inputs, as a pipeline job's.
        if (spec.type === 'pipeline') await uploadPipelineSteps(client, spec, o.file ?? '');
        else if (typeof spec.code === 'string' && parseAssetRef(spec.code, 'code').kind === 'local')
          spec.code = await uploadLocal(client, spec.code, base, `component ${doc.name} code`, 'code');
        const env = spec.environment;
        if (
          spec.type !== 'pipeline' &&
          env &&
          typeof env === 'object' &&
          typeof (env as Record<string, unknown>).conda_file === 'string'
        ) {
          const file = (env as Record<string, string>).conda_file ?? '';
          const text = readFileSync(isAbsolute(file) ? file : resolve(base, file), 'utf8');
          spec.environment = { ...env, conda_file: parseYaml(text) as unknown };
        }
        const version = doc.version === undefined || doc.version === null ? undefined : String(doc.version);
        const properties: Record<string, unknown> = { componentSpec: spec, tags: stringMap(doc.tags) };
        if (typeof doc.description === 'string') properties.description = doc.description;
        printAsset(g, flatComponent(await client.components.create(doc.name, version, properties)), o);
      }),
    );
  addShowCommand(g);
  addListCommand(g, 'List components, or the versions of one');
  addArchiveCommands(g);
}
