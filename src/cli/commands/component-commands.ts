import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { parseAssetRef } from '../../domain/assets/asset-refs.js';
import type { ArmResource } from '../../sdk/index.js';
import { action, clientFor, progress, UsageError, withCommon } from '../cli-context.js';
import { printResult, type Column } from '../output.js';
import {
  containerColumns,
  creationContext,
  flatContainer,
  limited,
  nameOfVersion,
  readAssetDoc,
  uploadLocal,
  versionOf,
  viewOf,
  withListFlags,
  type AssetFlags,
} from './asset-cli.js';

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

const columns: Column<Record<string, unknown>>[] = [
  { header: 'Name', value: (r) => r.name },
  { header: 'Version', value: (r) => r.version },
  { header: 'Type', value: (r) => r.type },
  { header: 'Display name', value: (r) => r.display_name },
];

/** `hangar component create|show|list|update|archive|restore` (az ml component; command components). */
export function registerComponentCommands(program: Command): void {
  const group = program.command('component').description('Components (az ml component; command components)');
  const print = (value: unknown, o: AssetFlags, cols = columns) =>
    printResult(value, { ...o, tableColumns: cols });

  withCommon(group.command('create').description('Create a component version from commandComponent YAML'))
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
        if (typeof spec.code === 'string' && parseAssetRef(spec.code, 'code').kind === 'local')
          spec.code = await uploadLocal(client, spec.code, base, `component ${doc.name} code`, 'code');
        const env = spec.environment;
        if (
          env &&
          typeof env === 'object' &&
          typeof (env as Record<string, unknown>).conda_file === 'string'
        ) {
          const file = (env as Record<string, string>).conda_file ?? '';
          const text = readFileSync(isAbsolute(file) ? file : resolve(base, file), 'utf8');
          spec.environment = { ...env, conda_file: parseYaml(text) as unknown };
        }
        const version = doc.version === undefined || doc.version === null ? undefined : String(doc.version);
        const properties: Record<string, unknown> = {
          componentSpec: spec,
          tags: Object.fromEntries(
            Object.entries((doc.tags ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
          ),
        };
        if (typeof doc.description === 'string') properties.description = doc.description;
        print(flatComponent(await client.components.create(doc.name, version, properties)), o);
      }),
    );

  withCommon(group.command('show').description('Show a component version (default: latest)'))
    .requiredOption('-n, --name <name>', 'name')
    .option('-v, --version <version>', 'version')
    .option('-l, --label <label>', "label ('latest')")
    .action(
      action(async (o: AssetFlags) =>
        print(flatComponent(await clientFor(o).components.get(o.name ?? '', versionOf(o))), o),
      ),
    );

  withCommon(
    withListFlags(group.command('list').description('List components, or the versions of one')),
  ).action(
    action(async (o: AssetFlags) => {
      const c = clientFor(o).components;
      if (o.name) print(limited((await c.listVersions(o.name, viewOf(o))).map(flatComponent), o), o);
      else print(limited((await c.listContainers(viewOf(o))).map(flatContainer), o), o, containerColumns);
    }),
  );

  for (const verb of ['archive', 'restore'] as const)
    withCommon(
      group
        .command(verb)
        .description(
          `${verb === 'archive' ? 'Archive' : 'Restore'} a version, or every version when -v is not given`,
        ),
      false,
    )
      .requiredOption('-n, --name <name>', 'name')
      .option('-v, --version <version>', 'version (default: every version)')
      .option('-l, --label <label>', "label ('latest')")
      .action(
        action(async (o: AssetFlags) => {
          const version = o.version ?? (o.label !== undefined ? versionOf(o) : undefined);
          const changed = await clientFor(o).components.setArchived(
            o.name ?? '',
            version,
            verb === 'archive',
          );
          progress(
            `${verb === 'archive' ? 'archived' : 'restored'}: ${changed.map((r) => `${o.name ?? ''}:${r.name}`).join(', ')}`,
          );
        }),
      );
}
