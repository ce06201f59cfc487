import type { Command } from 'commander';
import { datastoreYamlToRequest } from '../../domain/assets/datastore-spec.js';
import type { ArmResource } from '../../sdk/index.js';
import { action, clientFor, progress, withCommon } from '../cli-context.js';
import { printResult, type Column } from '../output.js';
import { creationContext, readAssetDoc, tagsOf, type AssetFlags } from './asset-cli.js';

const yamlType: Record<string, string> = {
  HangarPath: 'hangar_path',
  HangarBlob: 'hangar_blob',
  AzureBlob: 'azure_blob',
  AzureFile: 'azure_file',
  AzureDataLakeGen1: 'azure_data_lake_gen1',
  AzureDataLakeGen2: 'azure_data_lake_gen2',
};

/** A datastore as az ml prints it: flat, snake_case, credentials without secrets. */
export function flatDatastore(r: ArmResource): Record<string, unknown> {
  const p = r.properties;
  const credentials = (p.credentials ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {
    name: r.name,
    type: yamlType[String(p.datastoreType)] ?? p.datastoreType,
    description: p.description,
    tags: p.tags ?? {},
    credentials: Object.fromEntries(
      Object.entries({
        tenant_id: credentials.tenantId,
        client_id: credentials.clientId,
        authority_url: credentials.authorityUrl,
        resource_url: credentials.resourceUrl,
      }).filter(([, v]) => v !== undefined),
    ),
    is_default: p.isDefault === true,
    reachable: p.reachable,
    creation_context: creationContext(r),
    id: r.id,
  };
  const fields: [string, string][] = [
    ['path', 'path'],
    ['accountName', 'account_name'],
    ['containerName', 'container_name'],
    ['fileShareName', 'file_share_name'],
    ['filesystem', 'filesystem'],
    ['storeName', 'store_name'],
    ['endpoint', 'endpoint'],
    ['protocol', 'protocol'],
    ['notReachableReason', 'not_reachable_reason'],
  ];
  for (const [rest, yaml] of fields) if (p[rest] !== undefined) out[yaml] = p[rest];
  return out;
}

const columns: Column<Record<string, unknown>>[] = [
  { header: 'Name', value: (r) => r.name },
  { header: 'Type', value: (r) => r.type },
  { header: 'Default', value: (r) => r.is_default },
  { header: 'Reachable', value: (r) => r.reachable },
  { header: 'Path', value: (r) => r.path ?? r.account_name },
];

/** `hangar datastore create|show|list|update|delete` (az ml datastore). */
export function registerDatastoreCommands(program: Command): void {
  const group = program.command('datastore').description('Datastores (az ml datastore)');
  const print = (value: unknown, o: AssetFlags) => printResult(value, { ...o, tableColumns: columns });
  const createOrUpdate = async (o: AssetFlags & { path?: string }) => {
    const { doc } = readAssetDoc(o, {
      name: o.name,
      type: o.type,
      path: o.path,
      description: o.description,
      tags: tagsOf(o.tags),
    });
    const { name, body } = datastoreYamlToRequest(doc);
    const created = await clientFor(o).datastores.put(
      name,
      (body as { properties: Record<string, unknown> }).properties,
    );
    const flat = flatDatastore(created);
    if (flat.reachable === false) progress(`WARNING: ${String(flat.not_reachable_reason)}`);
    print(flat, o);
  };
  for (const verb of ['create', 'update'] as const)
    withCommon(
      group
        .command(verb)
        .description(
          verb === 'create'
            ? 'Create (or replace) a datastore from az ml datastore YAML (type: hangar_path with path:, or an Azure type)'
            : 'Replace a datastore from YAML and/or --set',
        ),
    )
      .option('-f, --file <file>', 'datastore YAML')
      .option('-n, --name <name>', 'name')
      .option(
        '-t, --type <type>',
        'hangar_path | azure_blob | azure_file | azure_data_lake_gen1 | azure_data_lake_gen2',
      )
      .option('-p, --path <folder>', 'hangar_path: a folder every node reaches (local or NFS)')
      .option('-d, --description <text>', 'description')
      .option('--tags <pairs...>', 'tags, key=value')
      .option('-s, --set <pairs...>', 'override YAML fields, key.path=value')
      .action(action(createOrUpdate));
  withCommon(group.command('show').description('Show a datastore (never its secrets)'))
    .requiredOption('-n, --name <name>', 'name')
    .action(
      action(async (o: AssetFlags) =>
        print(flatDatastore(await clientFor(o).datastores.get(o.name ?? '')), o),
      ),
    );
  withCommon(group.command('list').description('List datastores')).action(
    action(async (o: AssetFlags) => print((await clientFor(o).datastores.list()).map(flatDatastore), o)),
  );
  withCommon(
    group.command('delete').description('Delete a datastore (its data assets keep their URIs)'),
    false,
  )
    .requiredOption('-n, --name <name>', 'name')
    .option('-y, --yes', 'do not ask')
    .action(
      action(async (o: AssetFlags) => {
        await clientFor(o).datastores.delete(o.name ?? '');
        progress(`deleted datastore ${o.name ?? ''}`);
      }),
    );
}
