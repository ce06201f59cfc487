import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { HangarApiError, type Compute, type HangarClient } from '../../sdk/index.js';
import { action, progress, UsageError } from '../cli-context.js';
import { parseTags, yamlToComputeRequest } from '../compute-yaml.js';
import { print, type Column } from '../output.js';
import { v1Client, v1Options, type V1Options } from './v1-run-commands.js';

/**
 * `hangar computetarget …`: the az ml v1 (`azure-cli-ml`) compute verbs Azure ML's older
 * documentation still shows. Each maps its v1 flags onto the same compute API (and the same v2
 * YAML mapping) `hangar compute` uses; the server validates, and its answers are put back in the
 * words of the v1 flags the user wrote.
 */

/** An API field and the v1 flag that sets it: errors about the field name the flag. */
type FlagMap = readonly (readonly [apiPath: string, flag: string])[];

const P = 'properties.properties';
const common: FlagMap = [
  ['name', '--name'],
  ['location', '--location'],
  ['properties.description', '--description'],
  ['tags', '--tag'],
];
const scaleFlags: FlagMap = [
  [`${P}.scaleSettings.minNodeCount`, '--min-nodes'],
  [`${P}.scaleSettings.maxNodeCount`, '--max-nodes'],
  [`${P}.scaleSettings.nodeIdleTimeBeforeScaleDown`, '--idle-seconds-before-scaledown'],
];
const clusterFlags: FlagMap = [
  ...common,
  ...scaleFlags,
  [`${P}.vmSize`, '--vm-size'],
  [`${P}.vmPriority`, '--vm-priority'],
  [`${P}.remoteLoginPortPublicAccess`, '--remote-login-port-public-access'],
  [`${P}.userAccountCredentials.adminUserName`, '--admin-username'],
  [`${P}.userAccountCredentials.adminUserPassword`, '--admin-user-password'],
  [`${P}.userAccountCredentials.adminUserSshPublicKey`, '--admin-user-ssh-key'],
  [`${P}.userAccountCredentials`, '--admin-username/--admin-user-ssh-key/--admin-user-password'],
  [`${P}.enableNodePublicIp`, '--enable-node-public-ip'],
  ['identity.type', '--assign-identity'],
  ['identity.userAssignedIdentities', '--assign-identity'],
  ['identity', '--assign-identity'],
];
const instanceFlags: FlagMap = [
  ...common,
  [`${P}.vmSize`, '--vm-size'],
  [`${P}.sshSettings.adminPublicKey`, '--admin-user-ssh-public-key'],
  [`${P}.sshSettings.sshPublicAccess`, '--ssh-public-access'],
  [`${P}.personalComputeInstanceSettings.assignedUser.objectId`, '--user-object-id'],
  [`${P}.personalComputeInstanceSettings.assignedUser.tenantId`, '--user-tenant-id'],
];
const remoteFlags: FlagMap = [
  ['name', '--name'],
  [`${P}.address`, '--address'],
  [`${P}.sshPort`, '--ssh-port'],
  [`${P}.administratorAccount.username`, '--username'],
  [`${P}.administratorAccount.password`, '--password'],
  [`${P}.administratorAccount.privateKeyData`, '--private-key-file'],
  [`${P}.administratorAccount.privateKeyPassphrase`, '--private-key-passphrase'],
  [`${P}.administratorAccount`, '--password/--private-key-file'],
];
const identityFlags: FlagMap = [
  ['identity.type', '--identities'],
  ['identity.userAssignedIdentities', '--identities'],
  ['identity', '--identities'],
];

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Puts a server answer in the words of the v1 flags: targets and the field names in messages. */
export function inV1Terms(err: HangarApiError, flags: FlagMap): HangarApiError {
  const byLength = [...flags].sort((a, b) => b[0].length - a[0].length);
  const say = (text: string): string => {
    let out = text;
    for (const [path, flag] of byLength) {
      if (path.includes('.')) out = out.split(path).join(flag);
      else out = out.replace(new RegExp(`(^|[:;] )${escapeRe(path)}(?=[ :])`, 'g'), `$1${flag}`);
    }
    // Sibling fields a message mentions by their own name (`must be ≤ maxNodeCount`).
    for (const [path, flag] of byLength) {
      const leaf = path.slice(path.lastIndexOf('.') + 1);
      if (/[A-Z]/.test(leaf)) out = out.replace(new RegExp(`\\b${escapeRe(leaf)}\\b`, 'g'), flag);
    }
    return out;
  };
  const target = (t: string | undefined): string | undefined => {
    if (t === undefined) return undefined;
    const hit = byLength.find(([path]) => t === path || t.startsWith(`${path}.`));
    return hit ? hit[1] : t;
  };
  const e = err.error;
  const body = {
    code: e.code,
    message: say(e.message),
    ...(e.target !== undefined ? { target: target(e.target) } : {}),
    ...(e.details
      ? {
          details: e.details.map((d) => ({
            code: d.code,
            message: say(d.message),
            ...(d.target !== undefined ? { target: target(d.target) } : {}),
          })),
        }
      : {}),
  };
  return new HangarApiError(err.status, body);
}

/** An action whose server errors name the v1 flags. */
function v1Action<A extends unknown[]>(
  flags: FlagMap,
  fn: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return action(async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      throw err instanceof HangarApiError ? inV1Terms(err, flags) : err;
    }
  });
}

/** What v1 printed for a compute target without -v: its name, location and provisioning outcome. */
export function v1Summary(c: Compute): Record<string, unknown> {
  const errors = c.properties.provisioningErrors ?? [];
  return {
    location: c.location,
    name: c.name,
    provisioningErrors: errors.length > 0 ? errors : null,
    provisioningState: c.properties.provisioningState,
  };
}

type Row = Record<string, unknown>;
const stateOf = (r: Row): unknown =>
  r.provisioningState ?? (r.properties as Row | undefined)?.provisioningState;
const columns: Column<Row>[] = [
  { header: 'Name', value: (r) => r.name },
  { header: 'Type', value: (r) => r.computeType ?? (r.properties as Row | undefined)?.computeType },
  { header: 'Location', value: (r) => r.location },
  { header: 'State', value: (r) => stateOf(r) },
];

/** Prints a compute as v1 did: the summary, or with -v the whole compute. */
function show(c: Compute, o: V1Options): void {
  print((o.v ? c : v1Summary(c)) as Row, o, columns);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const instanceState = (c: Compute): string =>
  String((c.properties.properties as Row | undefined)?.state ?? '');
const terminal = (c: Compute): boolean =>
  ['Succeeded', 'Failed', 'Canceled'].includes(String(c.properties.provisioningState));
const usableOrBroken = (c: Compute): boolean =>
  ['Running', 'JobRunning', 'CreateFailed', 'SetupFailed', 'Unusable'].includes(instanceState(c)) ||
  c.properties.provisioningState === 'Failed';

/** Polls a compute until `done` holds (each state it passes through on stderr with -v). */
async function settle(
  client: HangarClient,
  name: string,
  verbose: boolean | undefined,
  done: (c: Compute) => boolean,
): Promise<Compute> {
  let last = '';
  for (;;) {
    const c = await client.computes.get(name);
    const state = [c.properties.provisioningState, instanceState(c)].filter((s) => s !== '').join(', ');
    if (verbose && state !== last) progress(`${name}: ${state}`);
    last = state;
    if (done(c)) return c;
    await sleep(250);
  }
}

/** Polls until the compute is gone (the API answers 404). */
async function gone(client: HangarClient, name: string, verbose: boolean | undefined): Promise<void> {
  try {
    await settle(client, name, verbose, () => false);
  } catch (err) {
    if (err instanceof HangarApiError && err.status === 404) return;
    throw err;
  }
}

/** Prints the outcome; a failed compute (or broken instance) also says why on stderr and exits 1. */
function finish(c: Compute, o: V1Options): void {
  for (const w of c.warnings ?? []) progress(`WARNING: ${w}`);
  show(c, o);
  const broken = ['CreateFailed', 'SetupFailed', 'Unusable'].includes(instanceState(c));
  if (c.properties.provisioningState !== 'Failed' && !broken) return;
  const errors = c.properties.provisioningErrors ?? [];
  for (const e of errors) progress(`ERROR: ${c.name}: ${e.error.message}`);
  if (errors.length === 0) {
    const what = broken ? `the instance is ${instanceState(c)}` : 'provisioning failed';
    progress(`ERROR: ${c.name}: ${what}; see \`hangar compute events -n ${c.name}\``);
  }
  process.exitCode = 1;
}

const num = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag}: '${v}' is not a number`);
  return n;
};

const bool = (v: string | undefined, flag: string): boolean | undefined => {
  if (v === undefined) return undefined;
  const t = v.toLowerCase();
  if (t !== 'true' && t !== 'false') throw new UsageError(`${flag}: must be True or False; got '${v}'`);
  return t === 'true';
};

const tagsOf = (pairs: string[] | undefined): Record<string, string> | undefined => {
  try {
    return parseTags(pairs);
  } catch (err) {
    throw err instanceof UsageError ? new UsageError(err.message.replace(/^--tags:/, '--tag:')) : err;
  }
};

const readText =
  (flag: string) =>
  (path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new UsageError(`${flag}: cannot read ${path}: ${(err as Error).message}`);
    }
  };

/** `'[system]'` and ARM ids, comma-separated (v1's --assign-identity / --identities). */
export function parseIdentities(value: string, flag: string): { system: boolean; users: string[] } {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0)
    throw new UsageError(
      `${flag}: give '[system]' and/or user-assigned identity resource ids, comma-separated; got '${value}'`,
    );
  return {
    system: items.some((i) => i.toLowerCase() === '[system]'),
    users: items.filter((i) => i.toLowerCase() !== '[system]'),
  };
}

const identityType = (system: boolean, users: number): string =>
  system && users > 0
    ? 'SystemAssigned,UserAssigned'
    : system
      ? 'SystemAssigned'
      : users > 0
        ? 'UserAssigned'
        : 'None';

interface ClusterFlags extends V1Options {
  name?: string;
  vmSize?: string;
  minNodes?: string;
  maxNodes?: string;
  idleSecondsBeforeScaledown?: string;
  vmPriority?: string;
  location?: string;
  assignIdentity?: string;
  adminUsername?: string;
  adminUserPassword?: string;
  adminUserSshKey?: string;
  remoteLoginPortPublicAccess?: string;
  enableNodePublicIp?: string;
  description?: string;
  tag?: string[];
  wait?: boolean;
}

const priorities: Record<string, string> = { dedicated: 'dedicated', lowpriority: 'low_priority' };

/** The az ml v2 compute YAML a v1 `create amlcompute` describes. */
export function clusterDocument(o: ClusterFlags): Record<string, unknown> {
  const doc: Record<string, unknown> = { name: o.name, type: 'amlcompute' };
  const set = (key: string, value: unknown): void => {
    if (value !== undefined) doc[key] = value;
  };
  set('size', o.vmSize);
  set('min_instances', num(o.minNodes, '--min-nodes'));
  set('max_instances', num(o.maxNodes, '--max-nodes'));
  set('idle_time_before_scale_down', num(o.idleSecondsBeforeScaledown, '--idle-seconds-before-scaledown'));
  if (o.vmPriority !== undefined) {
    const tier = priorities[o.vmPriority.toLowerCase()];
    if (!tier) throw new UsageError(`--vm-priority: must be dedicated or lowpriority; got '${o.vmPriority}'`);
    doc.tier = tier;
  }
  set('location', o.location);
  set('description', o.description);
  set('tags', tagsOf(o.tag));
  if (o.assignIdentity !== undefined) {
    const { system, users } = parseIdentities(o.assignIdentity, '--assign-identity');
    const type =
      system && users.length > 0
        ? 'system_assigned,user_assigned'
        : system
          ? 'system_assigned'
          : 'user_assigned';
    doc.identity = {
      type,
      ...(users.length > 0
        ? { user_assigned_identities: users.map((resource_id) => ({ resource_id })) }
        : {}),
    };
  }
  if (o.remoteLoginPortPublicAccess !== undefined) {
    const access = o.remoteLoginPortPublicAccess.toLowerCase();
    if (!['enabled', 'disabled', 'notspecified'].includes(access))
      throw new UsageError(
        `--remote-login-port-public-access: must be Enabled, Disabled or NotSpecified; got '${o.remoteLoginPortPublicAccess}'`,
      );
    if (access !== 'notspecified') doc.ssh_public_access_enabled = access === 'enabled';
  }
  const ssh: Record<string, unknown> = {};
  if (o.adminUsername !== undefined) ssh.admin_username = o.adminUsername;
  if (o.adminUserPassword !== undefined) ssh.admin_password = o.adminUserPassword;
  if (o.adminUserSshKey !== undefined) ssh.ssh_key_value = o.adminUserSshKey;
  if (Object.keys(ssh).length > 0) doc.ssh_settings = ssh;
  set('enable_node_public_ip', bool(o.enableNodePublicIp, '--enable-node-public-ip'));
  return doc;
}

interface InstanceFlags extends V1Options {
  name?: string;
  vmSize?: string;
  adminUserSshPublicKey?: string;
  sshPublicAccess?: string;
  userObjectId?: string;
  userTenantId?: string;
  description?: string;
  tag?: string[];
  wait?: boolean;
}

/** The az ml v2 compute YAML a v1 `create computeinstance` describes. */
export function instanceDocument(o: InstanceFlags): Record<string, unknown> {
  const doc: Record<string, unknown> = { name: o.name, type: 'computeinstance' };
  if (o.vmSize !== undefined) doc.size = o.vmSize;
  const access = bool(o.sshPublicAccess, '--ssh-public-access');
  if (access !== undefined) doc.ssh_public_access_enabled = access;
  if (o.adminUserSshPublicKey !== undefined) doc.ssh_settings = { ssh_key_value: o.adminUserSshPublicKey };
  if (o.userObjectId !== undefined)
    doc.create_on_behalf_of = {
      user_object_id: o.userObjectId,
      ...(o.userTenantId ? { user_tenant_id: o.userTenantId } : {}),
    };
  if (o.description !== undefined) doc.description = o.description;
  const tags = tagsOf(o.tag);
  if (tags) doc.tags = tags;
  return doc;
}

interface RemoteFlags extends V1Options {
  name?: string;
  address?: string;
  sshPort?: string;
  username?: string;
  password?: string;
  privateKeyFile?: string;
  privateKeyPassphrase?: string;
  wait?: boolean;
}

/** The az ml v2 compute YAML a v1 `attach remote` describes: an attached virtual machine. */
export function remoteDocument(o: RemoteFlags): Record<string, unknown> {
  const ssh: Record<string, unknown> = { admin_username: o.username };
  if (o.sshPort !== undefined) ssh.ssh_port = num(o.sshPort, '--ssh-port');
  if (o.password !== undefined) ssh.admin_password = o.password;
  if (o.privateKeyFile !== undefined) ssh.ssh_private_key_file = o.privateKeyFile;
  if (o.privateKeyPassphrase !== undefined) ssh.ssh_key_passphrase = o.privateKeyPassphrase;
  return { name: o.name, type: 'virtualmachine', address: o.address, ssh_settings: ssh };
}

/** The v2 YAML keys the v1 flags fill in, so a check on the YAML names the flag the user wrote. */
const yamlKeyFlags: Record<string, string> = {
  min_instances: '--min-nodes',
  max_instances: '--max-nodes',
  idle_time_before_scale_down: '--idle-seconds-before-scaledown',
};

function v1Named<T>(build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const key = /^([a-z_]+):/.exec(err.message)?.[1] ?? '';
    const flag = yamlKeyFlags[key];
    throw flag ? new UsageError(flag + err.message.slice(key.length)) : err;
  }
}

/** PUTs the compute a v2 YAML document describes (as `hangar compute create|attach`), then waits for `done` unless --no-wait. */
async function putCompute(
  doc: Record<string, unknown>,
  o: V1Options & { wait?: boolean },
  readFlag: string,
  done: (c: Compute) => boolean,
  submitted?: () => void,
): Promise<void> {
  const { name, body } = v1Named(() => yamlToComputeRequest(doc, readText(readFlag)));
  const client = v1Client(o);
  const written = await client.computes.put(name, body);
  if (o.v)
    progress(
      `${doc.type === 'virtualmachine' ? 'Attaching' : 'Creating'} ${name} (${String(written.properties.computeType)})`,
    );
  submitted?.();
  finish(
    o.wait === false
      ? written
      : {
          ...(await settle(client, name, o.v, done)),
          ...(written.warnings ? { warnings: written.warnings } : {}),
        },
    o,
  );
}

interface NameFlags extends V1Options {
  name?: string;
  identities?: string;
  minNodes?: string;
  maxNodes?: string;
  idleSecondsBeforeScaledown?: string;
  wait?: boolean;
}

/** v1's update amlcompute: a merge patch of the scale settings. */
function scalePatch(o: NameFlags): Record<string, unknown> {
  const scale: Record<string, unknown> = {};
  if (o.minNodes !== undefined) scale.minNodeCount = num(o.minNodes, '--min-nodes');
  if (o.maxNodes !== undefined) scale.maxNodeCount = num(o.maxNodes, '--max-nodes');
  if (o.idleSecondsBeforeScaledown !== undefined)
    scale.nodeIdleTimeBeforeScaleDown = `PT${num(o.idleSecondsBeforeScaledown, '--idle-seconds-before-scaledown') ?? 0}S`;
  if (Object.keys(scale).length === 0)
    throw new UsageError(
      'update amlcompute: nothing to change; give --min-nodes, --max-nodes or --idle-seconds-before-scaledown',
    );
  return { properties: { properties: { scaleSettings: scale } } };
}

/** The identity a v1 `identity assign|remove` leads to, as a merge patch of the current one. */
export function identityPatch(
  current: Compute['identity'],
  change: { system: boolean; users: string[] },
  verb: 'assign' | 'remove',
  name: string,
): Record<string, unknown> {
  const type = String(current?.type ?? 'None');
  const hadSystem = type.includes('SystemAssigned');
  const had = Object.keys(
    (current as { userAssignedIdentities?: Record<string, unknown> } | undefined)?.userAssignedIdentities ??
      {},
  );
  if (verb === 'assign') {
    const users = [...new Set([...had, ...change.users])];
    return {
      identity: {
        type: identityType(hadSystem || change.system, users.length),
        ...(change.users.length > 0
          ? { userAssignedIdentities: Object.fromEntries(change.users.map((u) => [u, {}])) }
          : {}),
      },
    };
  }
  if (change.system && !hadSystem)
    throw new UsageError(`--identities: '${name}' has no system-assigned identity to remove`);
  const missing = change.users.filter((u) => !had.includes(u));
  if (missing.length > 0)
    throw new UsageError(
      `--identities: '${name}' has no user-assigned identity ${missing.join(', ')}; it has ${had.length > 0 ? had.join(', ') : 'none'}`,
    );
  const users = had.filter((u) => !change.users.includes(u));
  return {
    identity: {
      type: identityType(hadSystem && !change.system, users.length),
      userAssignedIdentities:
        users.length === 0 ? null : Object.fromEntries(change.users.map((u) => [u, null])),
    },
  };
}

function withV(cmd: Command): Command {
  return cmd.option('-v', 'verbose: progress, and the whole compute instead of the summary');
}

function registerCreate(ct: Command): void {
  const create = ct.command('create').description('Create a compute target (amlcompute or computeinstance)');
  withV(v1Options(create.command('amlcompute').description('Create a compute cluster (az ml v1)')))
    .requiredOption('-n, --name <name>', 'name of the cluster')
    .option(
      '-s, --vm-size <size>',
      'VM size, e.g. STANDARD_D3_V2 (default: the server default, Standard_DS3_v2)',
    )
    .option('--min-nodes <n>', 'minimum nodes (default 0)')
    .option('--max-nodes <n>', 'maximum nodes (default 4)')
    .option('--idle-seconds-before-scaledown <seconds>', 'idle seconds before a node is released')
    .option('-p, --vm-priority <priority>', 'dedicated | lowpriority')
    .option(
      '-l, --location <location>',
      'location (default: the workspace location); an operator may alias Azure regions',
    )
    .option(
      '--assign-identity <identities>',
      "'[system]' for a system-assigned identity, else user-assigned identity resource ids, comma-separated",
    )
    .option('--admin-username <name>', 'administrator of the nodes')
    .option('--admin-user-password <password>', 'its password (stored encrypted)')
    .option('--admin-user-ssh-key <key>', 'its SSH public key')
    .option('--remote-login-port-public-access <state>', 'Enabled | Disabled | NotSpecified')
    .option('--enable-node-public-ip <bool>', 'True | False')
    .option('--description <text>', 'description')
    .option('--tag <key=value>', 'a tag (repeat for more)', (v: string, all: string[] = []) => [...all, v])
    .option('--no-wait', 'return once recorded')
    .action(
      v1Action(clusterFlags, (o: ClusterFlags) =>
        putCompute(clusterDocument(o), o, '--admin-user-ssh-key', terminal),
      ),
    );
  withV(v1Options(create.command('computeinstance').description('Create a compute instance (az ml v1)')))
    .requiredOption('-n, --name <name>', 'name of the instance')
    .option('-s, --vm-size <size>', 'VM size, e.g. STANDARD_D3_V2')
    .option('--admin-user-ssh-public-key <key>', 'SSH public key of the administrator')
    .option('--ssh-public-access <bool>', 'True | False (fixed at creation)')
    .option('--user-object-id <id>', 'create on behalf of this user (object id)')
    .option('--user-tenant-id <id>', "that user's tenant")
    .option('--description <text>', 'description')
    .option('--tag <key=value>', 'a tag (repeat for more)', (v: string, all: string[] = []) => [...all, v])
    .option('--no-wait', 'return once recorded')
    .action(
      v1Action(instanceFlags, (o: InstanceFlags) =>
        putCompute(instanceDocument(o), o, '--admin-user-ssh-public-key', usableOrBroken),
      ),
    );
}

function registerPower(ct: Command): void {
  const until = {
    start: usableOrBroken,
    restart: usableOrBroken,
    stop: (c: Compute) => instanceState(c) === 'Stopped' || c.properties.provisioningState === 'Failed',
  };
  const power = (verb: 'start' | 'stop' | 'restart', cmd: Command): void => {
    withV(
      v1Options(
        cmd.description(`${verb[0]?.toUpperCase() ?? ''}${verb.slice(1)} a compute instance (az ml v1)`),
      ),
    )
      .requiredOption('-n, --name <name>', 'name of the instance')
      .option('--no-wait', 'return once recorded')
      .action(
        v1Action(common, async (o: NameFlags) => {
          const client = v1Client(o);
          const name = o.name ?? '';
          const recorded = (await client.computes.action(name, verb)) as Compute;
          finish(o.wait === false ? recorded : await settle(client, name, o.v, until[verb]), o);
        }),
      );
  };
  // Both the v1 extension's order (`computeinstance start`) and the one its documentation shows (`start computeinstance`).
  const instance = ct
    .command('computeinstance')
    .description('Compute instance commands: start, stop, restart');
  for (const verb of ['start', 'stop', 'restart'] as const) {
    power(verb, instance.command(verb));
    power(verb, ct.command(verb).description(`${verb} computeinstance`).command('computeinstance'));
  }
}

function registerIdentity(ct: Command): void {
  const identity = ct
    .command('amlcompute')
    .description('Compute cluster commands')
    .command('identity')
    .description('Managed identities of a compute cluster');
  for (const verb of ['assign', 'remove'] as const) {
    withV(
      v1Options(
        identity
          .command(verb)
          .description(`${verb === 'assign' ? 'Assign' : 'Remove'} managed identities (az ml v1)`),
      ),
    )
      .argument(
        '[identities]',
        "'[system]' and/or user-assigned identity resource ids, comma-separated (or --identities)",
      )
      .requiredOption('-n, --name <name>', 'name of the cluster')
      .option(
        '--identities <identities>',
        "'[system]' and/or user-assigned identity resource ids, comma-separated",
      )
      .action(
        v1Action(identityFlags, async (positional: string | undefined, o: NameFlags) => {
          const value = o.identities ?? positional;
          if (value === undefined)
            throw new UsageError(
              `identity ${verb}: give the identities: '[system]' and/or resource ids (as an argument or with --identities)`,
            );
          const client = v1Client(o);
          const name = o.name ?? '';
          const current = await client.computes.get(name);
          const written = await client.computes.patch(
            name,
            identityPatch(current.identity, parseIdentities(value, '--identities'), verb, name),
          );
          print((written.identity ?? { type: 'None' }) as Row, o, []);
        }),
      );
  }
  v1Options(
    identity.command('show').description('Show the managed identities of a compute cluster (az ml v1)'),
  )
    .requiredOption('-n, --name <name>', 'name of the cluster')
    .option('-v', 'verbosity (accepted)')
    .action(
      v1Action(common, async (o: NameFlags) =>
        print(((await v1Client(o).computes.get(o.name ?? '')).identity ?? { type: 'None' }) as Row, o, []),
      ),
    );
}

/** Registers `hangar computetarget`. */
export function registerComputeTargetCommands(program: Command): void {
  const ct = program
    .command('computetarget')
    .description('az ml v1 compute target commands (`hangar compute` is the v2 way)');
  registerCreate(ct);
  withV(
    v1Options(
      ct
        .command('attach')
        .description('Attach an existing machine')
        .command('remote')
        .description('Attach a machine over SSH, as v2 attaches a virtualmachine (az ml v1)'),
    ),
  )
    .requiredOption('-n, --name <name>', 'name of the compute target')
    .requiredOption('-a, --address <address>', 'DNS name or IP address of the machine')
    .option('--ssh-port <port>', 'SSH port (default 22)')
    .requiredOption('-u, --username <user>', 'user to log in as')
    .option('-p, --password <password>', 'its password (stored encrypted, never shown)')
    .option('--private-key-file <file>', 'or its private key (stored encrypted, never shown)')
    .option('--private-key-passphrase <passphrase>', 'passphrase of that key')
    .option('--no-wait', 'return once submitted, as v1 did, instead of waiting for the machine check')
    .action(
      v1Action(remoteFlags, async (o: RemoteFlags) => {
        progress('Attaching compute resource...');
        await putCompute(remoteDocument(o), o, '--private-key-file', terminal, () => {
          progress('Resource attach submitted successfully.');
          progress(
            o.wait === false
              ? `To see if your compute target is ready to use, run:\n  hangar computetarget show -n ${o.name ?? ''}`
              : 'Checking the machine (reachable, credentials, host key)...',
          );
        });
      }),
    );
  withV(
    v1Options(ct.command('list').description('List the compute targets of the workspace (az ml v1)')),
  ).action(
    v1Action(common, async (o: V1Options) => {
      const all = await v1Client(o).computes.list();
      print(
        o.v
          ? (all as unknown as Row[])
          : all.map((c) => ({ computeType: c.properties.computeType, ...v1Summary(c) })),
        o,
        columns,
      );
    }),
  );
  withV(v1Options(ct.command('show').description('Show a compute target (az ml v1; -v: the whole compute)')))
    .requiredOption('-n, --name <name>', 'name of the compute target')
    .action(v1Action(common, async (o: NameFlags) => show(await v1Client(o).computes.get(o.name ?? ''), o)));
  for (const verb of ['delete', 'detach'] as const) {
    withV(
      v1Options(
        ct
          .command(verb)
          .description(
            verb === 'delete'
              ? 'Delete a compute target and its nodes (az ml v1)'
              : 'Detach an attached compute target; the machine stays (az ml v1)',
          ),
        false,
      ),
    )
      .requiredOption('-n, --name <name>', 'name of the compute target')
      .option('--no-wait', 'return once recorded')
      .action(
        v1Action(common, async (o: NameFlags) => {
          const client = v1Client(o);
          const name = o.name ?? '';
          await client.computes.delete(name, verb === 'delete' ? 'Delete' : 'Detach');
          if (o.wait !== false) await gone(client, name, o.v);
          progress(`${verb === 'delete' ? 'Deleted' : 'Detached'} ${name}`);
        }),
      );
  }
  withV(
    v1Options(
      ct
        .command('update')
        .description('Update a compute target')
        .command('amlcompute')
        .description('Update the scale settings of a compute cluster (az ml v1)'),
    ),
  )
    .requiredOption('-n, --name <name>', 'name of the cluster')
    .option('--min-nodes <n>', 'minimum nodes')
    .option('--max-nodes <n>', 'maximum nodes')
    .option('--idle-seconds-before-scaledown <seconds>', 'idle seconds before a node is released')
    .option('--no-wait', 'return once recorded')
    .action(
      v1Action(clusterFlags, async (o: NameFlags) => {
        const client = v1Client(o);
        const name = o.name ?? '';
        const written = await client.computes.patch(name, scalePatch(o));
        finish(o.wait === false ? written : await settle(client, name, o.v, terminal), o);
      }),
    );
  registerIdentity(ct);
  registerPower(ct);
}
