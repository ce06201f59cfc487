import type { Command } from 'commander';
import { parseAssetRef } from '../../domain/assets/asset-refs.js';
import { readAssetYaml } from '../../domain/assets/data-spec.js';
import type { ArmResource, HangarClient } from '../../sdk/index.js';
import { action, clientFor, progress, UsageError, withCommon } from '../cli-context.js';
import type { Column } from '../output.js';
import {
  addArchiveCommands,
  addListCommand,
  addShowCommand,
  addUpdateCommand,
  creationContext,
  downloadFolder,
  downloadVersion,
  nameOfVersion,
  printAsset,
  readAssetDoc,
  stringMap,
  tagsOf,
  uploadLocal,
  versionOf,
  type AssetFlags,
  type AssetGroup,
} from './asset-cli.js';
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

type Kind = 'data' | 'model';

/** A data or model version as az ml prints it (flat, snake_case). */
export function flatFileAsset(kind: Kind, r: ArmResource): Record<string, unknown> {
  const p = r.properties;
  const out: Record<string, unknown> = {
    name: nameOfVersion(r),
    version: r.name,
    type: kind === 'data' ? p.dataType : p.modelType,
    path: kind === 'data' ? p.dataUri : p.modelUri,
    description: p.description,
    tags: p.tags ?? {},
    properties: p.properties ?? {},
    creation_context: creationContext(r),
    id: r.id,
  };
  if (kind === 'model') {
    out.flavors = p.flavors;
    out.job_name = p.jobName;
    out.stage = p.stage;
  }
  if (p.isArchived) out.is_archived = true;
  return out;
}

const versionColumns: Column<Record<string, unknown>>[] = [
  { header: 'Name', value: (r) => r.name },
  { header: 'Version', value: (r) => r.version },
  { header: 'Type', value: (r) => r.type },
  { header: 'Path', value: (r) => r.path },
];

function assets(client: HangarClient, kind: Kind) {
  return kind === 'data' ? client.data : client.models;
}

/** Reads the YAML and flags, uploads a local path, and sends the version. */
async function create(kind: Kind, o: AssetFlags): Promise<ArmResource> {
  const { doc, base } = readAssetDoc(o, {
    name: o.name,
    version: o.version,
    type: o.type,
    path: o.path,
    description: o.description,
    tags: tagsOf(o.tags),
  });
  const spec = readAssetYaml(kind, doc);
  const client = clientFor(o);
  let uri = spec.path;
  if (parseAssetRef(spec.path, 'path').kind === 'local') {
    if (spec.type === 'mltable') {
      const abs = isAbsolute(spec.path) ? spec.path : resolve(base, spec.path);
      if (!existsSync(join(abs, 'MLTable')))
        throw new UsageError(
          `path: an mltable asset is a folder holding an MLTable file; '${spec.path}' has none`,
        );
    }
    uri = await uploadLocal(client, spec.path, base, `${kind} ${spec.name}`);
  }
  const properties: Record<string, unknown> = {
    [kind === 'data' ? 'dataType' : 'modelType']: spec.type,
    [kind === 'data' ? 'dataUri' : 'modelUri']: uri,
    tags: spec.tags,
    properties: spec.properties,
  };
  if (spec.description !== undefined) properties.description = spec.description;
  if (spec.flavors !== undefined) properties.flavors = spec.flavors;
  if (spec.stage !== undefined) properties.stage = spec.stage;
  return assets(client, kind).create(spec.name, spec.version, properties);
}

/** `hangar data|model create|show|list|update|archive|restore|download`. */
export function registerFileAssetCommands(program: Command, kind: Kind): void {
  const g: AssetGroup = {
    group: program
      .command(kind)
      .description(kind === 'data' ? 'Data assets (az ml data)' : 'Models (az ml model)'),
    noun: `a ${kind}`,
    assets: (o) => assets(clientFor(o), kind),
    flat: (r) => flatFileAsset(kind, r),
    columns: versionColumns,
  };

  withCommon(g.group.command('create').description(`Create a ${kind} version from YAML and/or flags`))
    .option('-f, --file <file>', `${kind} YAML`)
    .option('-n, --name <name>', 'name')
    .option('-v, --version <version>', 'version (default: the next integer)')
    .option(
      '-p, --path <path>',
      'local file or folder (uploaded), azureml://datastores/…, azureml://jobs/… or https://',
    )
    .option(
      '-t, --type <type>',
      kind === 'data' ? 'uri_folder | uri_file | mltable' : 'custom_model | mlflow_model | triton_model',
    )
    .option('-d, --description <text>', 'description')
    .option('--tags <pairs...>', 'tags, key=value')
    .option('-s, --set <pairs...>', 'override YAML fields, key.path=value')
    .action(action(async (o: AssetFlags) => printAsset(g, g.flat(await create(kind, o)), o)));
  addShowCommand(g);
  addListCommand(g, `List ${kind} assets, or the versions of one`);
  addUpdateCommand(g, {
    description: 'Change description, tags or stage of a version (--set)',
    setHelp: 'description=…, tags.k=v, stage=…',
    allowed: ['description', 'tags', 'stage', 'properties'],
    immutable: "a version's content is immutable (create a new version)",
    apply: (current, changes) => {
      const props = { ...current };
      for (const k of ['isArchived', 'isAnonymous']) delete props[k];
      if (changes.description !== undefined) props.description = String(changes.description);
      if (changes.stage !== undefined) props.stage = String(changes.stage);
      for (const k of ['tags', 'properties'] as const)
        if (changes[k] !== undefined) props[k] = { ...stringMap(props[k]), ...stringMap(changes[k]) };
      return props;
    },
  });
  addArchiveCommands(g);

  withCommon(
    g.group.command('download').description(`Download a ${kind} version's files to <download-path>/<name>`),
    false,
  )
    .requiredOption('-n, --name <name>', 'name')
    .option('-v, --version <version>', 'version')
    .option('-l, --label <label>', "label ('latest')")
    .option('-p, --download-path <dir>', 'where to write (default: the current folder)')
    .action(
      action(async (o: AssetFlags) => {
        const client = clientFor(o);
        const name = o.name ?? '';
        const version = (await assets(client, kind).get(name, versionOf(o))).name;
        const dest = downloadFolder(o, name);
        const n = await downloadVersion(client, kind === 'data' ? 'data' : 'models', name, version, dest);
        progress(`downloaded ${name}:${version} (${n} entries) to ${dest}`);
      }),
    );
}
