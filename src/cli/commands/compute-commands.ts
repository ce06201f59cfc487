import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { applySetOverrides } from '../../domain/jobs/set-overrides.js';
import { HangarApiError, type Compute, type HangarClient } from '../../sdk/index.js';
import { action, clientFor, progress, UsageError, withCommon, type CommonOptions } from '../cli-context.js';
import { inYamlTerms, parseTags, yamlToComputeRequest } from '../compute-yaml.js';
import { computeShape } from '../az-shape/compute-shape.js';
import { snakeDeep } from '../az-shape/snake-case.js';
import { printResult, type Column } from '../output.js';
import { registerInstanceCommands } from './instance-commands.js';

/** Flags of compute create/attach/update, as az ml names them. */
interface ComputeFlags extends CommonOptions {
  name?: string;
  type?: string;
  file?: string;
  size?: string;
  minInstances?: string;
  maxInstances?: string;
  idleTimeBeforeScaleDown?: string;
  tier?: string;
  location?: string;
  description?: string;
  tags?: string[];
  idleTimeBeforeShutdownMinutes?: string;
  sshPublicAccessEnabled?: string | boolean;
  sshKeyValue?: string;
  sshKeyName?: string;
  partition?: string;
  qos?: string;
  account?: string;
  slurmConf?: string;
  loginHost?: string;
  stopped?: boolean;
  userObjectId?: string;
  userTenantId?: string;
  adminUsername?: string;
  adminPassword?: string;
  identityType?: string;
  userAssignedIdentities?: string[];
  address?: string;
  sshPort?: string;
  sshPrivateKeyFile?: string;
  resourceId?: string;
  namespace?: string;
  set?: string[];
  wait?: boolean;
  yes?: boolean;
}

type Shaped = Record<string, unknown>;

/** Prints records az ml shows in snake_case (nodes, sizes, usages, events): keys converted, then -o/--query. */
function printSnake(value: unknown, o: ComputeFlags, tableColumns: Column<Shaped>[]): void {
  printResult(snakeDeep(value), { ...o, tableColumns });
}

/** `-o table` of computes: az ml's columns, read from the flat shape. */
const columns: Column<Shaped>[] = [
  { header: 'Name', value: (c) => c.name },
  { header: 'Type', value: (c) => c.type },
  { header: 'Location', value: (c) => c.location },
  { header: 'Size', value: (c) => c.size },
  { header: 'State', value: (c) => c.provisioning_state },
  { header: 'Nodes', value: (c) => nodesOf(c) },
];

function nodesOf(c: Shaped): string {
  if (c.max_instances !== undefined)
    return `${String(c.current_node_count ?? 0)} (${String(c.min_instances ?? 0)}..${String(c.max_instances)})`;
  return c.state === undefined ? '' : String(c.state);
}

/** Prints computes as az ml does: the flat snake_case entity (or a list of them). */
function show(value: Compute | Compute[], o: ComputeFlags): void {
  printResult(Array.isArray(value) ? value.map(computeShape) : computeShape(value), {
    ...o,
    tableColumns: columns,
  });
}

const num = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`${flag}: '${v}' is not a number`);
  return n;
};

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

/** The YAML document a create/attach describes: file, then flags, then --set. */
function documentOf(o: ComputeFlags): Record<string, unknown> {
  const doc: Record<string, unknown> = o.file
    ? ((parseYaml(readText(o.file)) as Record<string, unknown> | null) ?? {})
    : {};
  const set = (key: string, value: unknown): void => {
    if (value !== undefined) doc[key] = value;
  };
  const ssh = { ...((doc.ssh_settings as Record<string, unknown> | undefined) ?? {}) };
  set('name', o.name);
  set('type', o.type);
  set('size', o.size);
  set('min_instances', num(o.minInstances, '--min-instances'));
  set('max_instances', num(o.maxInstances, '--max-instances'));
  set('idle_time_before_scale_down', num(o.idleTimeBeforeScaleDown, '--idle-time-before-scale-down'));
  set('tier', o.tier);
  set('location', o.location);
  set('description', o.description);
  set('tags', parseTags(o.tags));
  set(
    'idle_time_before_shutdown_minutes',
    num(o.idleTimeBeforeShutdownMinutes, '--idle-time-before-shutdown-minutes'),
  );
  if (o.sshPublicAccessEnabled !== undefined)
    set(
      'ssh_public_access_enabled',
      o.sshPublicAccessEnabled === true || String(o.sshPublicAccessEnabled).toLowerCase() === 'true',
    );
  set('address', o.address);
  set('resource_id', o.resourceId);
  set('namespace', o.namespace);
  set('partition', o.partition);
  set('qos', o.qos);
  set('account', o.account);
  set('slurm_conf', o.slurmConf);
  set('login_host', o.loginHost);
  if (o.sshPrivateKeyFile !== undefined && String(o.type).toLowerCase() === 'slurm')
    doc.ssh_private_key_file = o.sshPrivateKeyFile;
  if (o.identityType)
    doc.identity = {
      type: o.identityType,
      ...(o.userAssignedIdentities
        ? { user_assigned_identities: o.userAssignedIdentities.map((r) => ({ resource_id: r })) }
        : {}),
    };
  for (const [key, value] of [
    ['ssh_key_value', o.sshKeyValue],
    ['admin_username', o.adminUsername],
    ['admin_password', o.adminPassword],
    ['ssh_private_key_file', o.sshPrivateKeyFile],
  ] as const)
    if (value !== undefined && !(key === 'ssh_private_key_file' && String(o.type).toLowerCase() === 'slurm'))
      ssh[key] = value;
  if (o.sshPort !== undefined) ssh.ssh_port = num(o.sshPort, '--ssh-port');
  if (o.sshKeyName !== undefined) ssh.ssh_key_name = o.sshKeyName;
  if (o.stopped) doc.start_after_creation = false;
  if (o.userObjectId !== undefined)
    doc.create_on_behalf_of = {
      user_object_id: o.userObjectId,
      ...(o.userTenantId ? { user_tenant_id: o.userTenantId } : {}),
    };
  if (Object.keys(ssh).length > 0) doc.ssh_settings = ssh;
  return applySetOverrides(doc, o.set ?? []);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until the compute's provisioningState is terminal (or it is gone, for deletes). */
async function waitFor(client: HangarClient, name: string, gone: boolean): Promise<Compute | undefined> {
  let last = '';
  for (;;) {
    let c: Compute;
    try {
      c = await client.computes.get(name);
    } catch (err) {
      if (gone && err instanceof HangarApiError && err.status === 404) return undefined;
      throw err;
    }
    const state = String(c.properties.provisioningState);
    if (state !== last) progress(`${name}: ${state}`);
    last = state;
    if (!gone && ['Succeeded', 'Failed', 'Canceled'].includes(state)) return c;
    await sleep(250);
  }
}

function warn(c: Compute): void {
  for (const w of c.warnings ?? []) progress(`WARNING: ${w}`);
}

function createFlags(cmd: Command): Command {
  return withCommon(cmd)
    .option('-n, --name <name>', 'compute name')
    .option(
      '-t, --type <type>',
      'amlcompute | computeinstance | aks | kubernetes | virtualmachine | hdinsight | databricks | datalakeanalytics | synapsespark | datafactory | slurm',
    )
    .option('-f, --file <file>', 'az ml v2 compute YAML')
    .option('--size <size>', 'VM size, e.g. STANDARD_D3_V2')
    .option('--min-instances <n>', 'cluster: minimum nodes')
    .option('--max-instances <n>', 'cluster: maximum nodes')
    .option('--idle-time-before-scale-down <seconds>', 'cluster: idle seconds before a node is released')
    .option('--tier <tier>', 'dedicated | low_priority')
    .option('-l, --location <location>', 'location (default: the workspace location)')
    .option('--description <text>', 'description')
    .option('--tags <pairs...>', 'tags as key=value')
    .option('--idle-time-before-shutdown-minutes <minutes>', 'instance: idle shutdown (15 min – 3 days)')
    .option('-p, --ssh-public-access-enabled [bool]', 'enable SSH access (fixed at creation)')
    .option('--ssh-key-value <key>', 'SSH public key')
    .option('--ssh-key-name <name>', 'instance: a stored SSH public key (hangar compute ssh-key create)')
    .option('--stopped', 'instance: create it stopped (start it later)')
    .option('--user-object-id <id>', 'instance: create on behalf of this user (object id)')
    .option('--user-tenant-id <id>', 'instance: tenant of --user-object-id')
    .option('--admin-username <name>', 'admin user name')
    .option('--admin-password <password>', 'admin password (stored encrypted, never shown)')
    .option(
      '--identity-type <type>',
      'none | system_assigned | user_assigned | system_assigned,user_assigned',
    )
    .option('-i, --user-assigned-identities <ids...>', 'user-assigned identity resource ids')
    .option('--set <pairs...>', 'override YAML fields: key.path=value')
    .option('--no-wait', 'return at once instead of waiting for provisioning');
}

async function createOrAttach(o: ComputeFlags, verb: 'create' | 'attach'): Promise<void> {
  const doc = documentOf(o);
  const { name, body } = yamlToComputeRequest(doc, readText);
  const client = clientFor(o);
  // The server names ARM fields; the user wrote YAML keys, so its errors are said in those.
  const written = await client.computes.put(name, body).catch((err: unknown) => {
    throw err instanceof HangarApiError ? new HangarApiError(err.status, inYamlTerms(err.error, doc)) : err;
  });
  warn(written);
  progress(
    `${verb === 'attach' ? 'Attaching' : 'Creating'} ${name} (${String(written.properties.computeType)})`,
  );
  const final = o.wait === false ? written : ((await waitFor(client, name, false)) ?? written);
  show(final, o);
  if (final.properties.provisioningState === 'Failed') process.exitCode = 1;
}

function updatePatch(o: ComputeFlags): Record<string, unknown> {
  const scale: Record<string, unknown> = {};
  if (o.minInstances !== undefined) scale.minNodeCount = num(o.minInstances, '--min-instances');
  if (o.maxInstances !== undefined) scale.maxNodeCount = num(o.maxInstances, '--max-instances');
  if (o.idleTimeBeforeScaleDown !== undefined)
    scale.nodeIdleTimeBeforeScaleDown = `PT${num(o.idleTimeBeforeScaleDown, '--idle-time-before-scale-down') ?? 0}S`;
  const inner: Record<string, unknown> = {};
  if (Object.keys(scale).length > 0) inner.scaleSettings = scale;
  if (o.idleTimeBeforeShutdownMinutes !== undefined)
    inner.idleTimeBeforeShutdown = `PT${num(o.idleTimeBeforeShutdownMinutes, '--idle-time-before-shutdown-minutes') ?? 0}M`;
  if (o.size !== undefined) inner.vmSize = o.size;
  // "Set up the key later": SSH was enabled at creation; the key arrives now, no restart needed.
  if (o.sshKeyValue !== undefined) inner.sshSettings = { adminPublicKey: o.sshKeyValue };
  const properties: Record<string, unknown> = {};
  if (Object.keys(inner).length > 0) properties.properties = inner;
  if (o.description !== undefined) properties.description = o.description;
  const patch: Record<string, unknown> = {};
  if (Object.keys(properties).length > 0) patch.properties = properties;
  const tags = parseTags(o.tags);
  if (tags) patch.tags = tags;
  if (o.identityType || o.userAssignedIdentities) {
    const type = o.identityType ?? 'user_assigned';
    patch.identity = {
      type:
        (
          {
            none: 'None',
            system_assigned: 'SystemAssigned',
            user_assigned: 'UserAssigned',
            'system_assigned,user_assigned': 'SystemAssigned,UserAssigned',
          } as Record<string, string>
        )[type.toLowerCase()] ?? type,
      ...(o.userAssignedIdentities
        ? { userAssignedIdentities: Object.fromEntries(o.userAssignedIdentities.map((id) => [id, {}])) }
        : {}),
    };
  }
  if (Object.keys(patch).length === 0)
    throw new UsageError(
      'update: nothing to change; give --min-instances, --max-instances, --idle-time-before-scale-down, --idle-time-before-shutdown-minutes, --ssh-key-value, --description, --tags, --identity-type or --user-assigned-identities',
    );
  return patch;
}

/** `hangar compute …`: the az ml compute verbs. */
export function registerComputeCommands(program: Command): void {
  const compute = program
    .command('compute')
    .description('Manage compute targets (clusters, instances, inference clusters, attached machines)');
  createFlags(
    compute
      .command('create')
      .description('Create a compute (or update it when the name exists, as az ml does)'),
  ).action(action((o: ComputeFlags) => createOrAttach(o, 'create')));
  createFlags(compute.command('attach').description('Attach an existing machine or cluster'))
    .option('--address <address>', 'FQDN or IP of the machine')
    .option('--ssh-port <port>', 'SSH port (default 22)')
    .option('--ssh-private-key-file <file>', 'private key file (stored encrypted, never shown)')
    .option('--resource-id <id>', 'resource id of the attached resource')
    .option('--namespace <ns>', 'kubernetes namespace')
    .option('--partition <name>', 'slurm: partition allocations go to')
    .option('--qos <qos>', 'slurm: QOS')
    .option('--account <account>', 'slurm: account')
    .option('--slurm-conf <path>', 'slurm: SLURM_CONF on the server host')
    .option('--login-host <user@host>', 'slurm: reach sbatch over SSH on this login node')
    .action(action((o: ComputeFlags) => createOrAttach(o, 'attach')));
  withCommon(
    compute.command('update').description('Update min/max nodes, idle time, description, tags, identity'),
  )
    .requiredOption('-n, --name <name>', 'compute name')
    .option('--min-instances <n>', 'cluster: minimum nodes')
    .option('--max-instances <n>', 'cluster: maximum nodes')
    .option('--idle-time-before-scale-down <seconds>', 'cluster: idle seconds before scale-down')
    .option('--idle-time-before-shutdown-minutes <minutes>', 'instance: idle shutdown')
    .option(
      '--ssh-key-value <key>',
      'instance: the SSH public key (when SSH was enabled with the key set up later)',
    )
    .option('--size <size>', 'VM size (immutable: the server refuses a change)')
    .option('--description <text>', 'description')
    .option('--tags <pairs...>', 'tags as key=value')
    .option(
      '--identity-type <type>',
      'none | system_assigned | user_assigned | system_assigned,user_assigned',
    )
    .option(
      '-i, --user-assigned-identities <ids...>',
      'user-assigned identity resource ids (identity type user_assigned unless --identity-type says)',
    )
    .option('--no-wait', 'do not wait')
    .action(
      action(async (o: ComputeFlags) => {
        const client = clientFor(o);
        const written = await client.computes.patch(o.name ?? '', updatePatch(o));
        warn(written);
        show(o.wait === false ? written : ((await waitFor(client, o.name ?? '', false)) ?? written), o);
      }),
    );
  withCommon(compute.command('show').description('Show a compute'))
    .requiredOption('-n, --name <name>', 'compute name')
    .action(action(async (o: ComputeFlags) => show(await clientFor(o).computes.get(o.name ?? ''), o)));
  withCommon(compute.command('list').description('List computes'))
    .option('-t, --type <type>', 'only this type')
    .action(
      action(async (o: ComputeFlags) => {
        const type = o.type ? (await import('../compute-yaml.js')).computeTypeOf(o.type) : undefined;
        show(await clientFor(o).computes.list(type), o);
      }),
    );
  for (const verb of ['delete', 'detach'] as const) {
    withCommon(
      compute
        .command(verb)
        .description(
          verb === 'delete'
            ? 'Delete a compute and its nodes'
            : 'Detach an attached compute (the machine stays)',
        ),
      false,
    )
      .requiredOption('-n, --name <name>', 'compute name')
      .option('-y, --yes', 'do not ask for confirmation')
      .option('--no-wait', 'do not wait')
      .action(
        action(async (o: ComputeFlags) => {
          if (!o.yes) await confirm(`${verb} compute '${o.name ?? ''}'?`);
          const client = clientFor(o);
          await client.computes.delete(o.name ?? '', verb === 'delete' ? 'Delete' : 'Detach');
          if (o.wait !== false) await waitFor(client, o.name ?? '', true);
          progress(`${verb === 'delete' ? 'Deleted' : 'Detached'} ${o.name ?? ''}`);
        }),
      );
  }
  for (const verb of ['start', 'stop', 'restart'] as const) {
    withCommon(
      compute.command(verb).description(`${verb[0]?.toUpperCase()}${verb.slice(1)} a compute instance`),
    )
      .requiredOption('-n, --name <name>', 'instance name')
      .option('--no-wait', 'do not wait')
      .action(
        action(async (o: ComputeFlags) =>
          show((await clientFor(o).computes.action(o.name ?? '', verb)) as Compute, o),
        ),
      );
  }
  withCommon(compute.command('list-nodes').description('List the nodes of a cluster or instance'))
    .requiredOption('-n, --name <name>', 'compute name')
    .action(
      action(async (o: ComputeFlags) =>
        printSnake(
          (await clientFor(o).computes.nodes(o.name ?? '')) as Record<string, unknown>[],
          o,
          nodeColumns,
        ),
      ),
    );
  withCommon(
    compute
      .command('events')
      .description('Events of a compute: scaling decisions, preemptions, quota and lock denials'),
  )
    .requiredOption('-n, --name <name>', 'compute name')
    .action(
      action(async (o: ComputeFlags) =>
        printSnake(
          (await clientFor(o).computes.events(o.name ?? '')) as Record<string, unknown>[],
          o,
          eventColumns,
        ),
      ),
    );
  withCommon(
    compute
      .command('preempt-node')
      .description(
        'Preempt a node of a low-priority cluster (admin; its jobs checkpoint and resume elsewhere)',
      ),
  )
    .requiredOption('-n, --name <name>', 'cluster name')
    .requiredOption('--node-id <id>', 'node to preempt (see list-nodes)')
    .action(
      action(async (o: ComputeFlags & { nodeId?: string }) =>
        printSnake(await clientFor(o).computes.preemptNode(o.name ?? '', o.nodeId ?? ''), o, [
          { header: 'Node', value: (n) => n.node_id },
          { header: 'State', value: (n) => n.node_state },
          { header: 'Reason', value: (n) => n.reason },
        ]),
      ),
    );
  registerLocationCommands(compute);
  registerInstanceCommands(compute);
}

const eventColumns: Column<Record<string, unknown>>[] = ['at', 'level', 'reason', 'message'].map((k) => ({
  header: k[0]?.toUpperCase() + k.slice(1),
  value: (e: Record<string, unknown>) => e[k],
}));

const nodeColumns: Column<Record<string, unknown>>[] = [
  { header: 'Node', value: (n) => n.node_id },
  { header: 'State', value: (n) => n.node_state },
  { header: 'Address', value: (n) => n.private_ip_address },
  { header: 'Running', value: (n) => n.run_id },
];

async function confirm(question: string): Promise<void> {
  if (!process.stdin.isTTY)
    throw new UsageError(`${question} Refusing without --yes (stdin is not a terminal).`);
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`${question} [y/N] `);
  rl.close();
  if (!/^y(es)?$/i.test(answer.trim())) throw new UsageError('canceled');
}

function registerLocationCommands(compute: Command): void {
  const locationOf = async (client: HangarClient, o: { location?: string }): Promise<string> =>
    o.location ?? (await client.workspaces.get(client.workspace)).location;
  withCommon(compute.command('list-sizes').description('VM sizes offered in a location'))
    .option('-l, --location <location>', 'location (default: the workspace location)')
    .action(
      action(async (o: ComputeFlags) => {
        const client = clientFor(o);
        const sizes = await client.locations.vmSizes(await locationOf(client, o));
        printSnake(
          sizes.value,
          o,
          [
            'name',
            'family',
            'v_cp_us',
            'memory_gb',
            'gpus',
            'gpu_type',
            // What the location's host really has (local locations), and whether the size fits it.
            'gpus_available',
            'available',
            'low_priority_capable',
          ].map((k) => ({
            header: k,
            value: (r: Record<string, unknown>) => r[k],
          })),
        );
      }),
    );
  withCommon(compute.command('list-usage').description('Core usage against quota per VM family'))
    .option('-l, --location <location>', 'location (default: the workspace location)')
    .action(
      action(async (o: ComputeFlags) => {
        const client = clientFor(o);
        const usage = await client.locations.usages(await locationOf(client, o));
        printSnake(usage.value, o, [
          {
            header: 'Name',
            value: (r: Record<string, unknown>) =>
              (r.name as { value?: string } | undefined)?.value ?? r.name,
          },
          { header: 'Usage', value: (r) => r.current_value },
          { header: 'Limit', value: (r) => r.limit },
          { header: 'Unit', value: (r) => r.unit },
        ]);
      }),
    );
}
