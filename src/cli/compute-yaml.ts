import { cliTypeToComputeType, type ComputeType } from '../domain/compute/compute-kinds.js';
import { UsageError } from './cli-context.js';

type Doc = Record<string, unknown>;

const common = ['$schema', 'name', 'type', 'description', 'location', 'tags', 'identity', 'resource_id'];
const scale = ['size', 'tier', 'min_instances', 'max_instances', 'idle_time_before_scale_down'];
const vmSsh = ['address', 'ssh_settings'];
/** The az ml v2 YAML keys each compute type accepts (plus `common`). */
const keysByType: Record<ComputeType, string[]> = {
  AmlCompute: [
    ...scale,
    'ssh_public_access_enabled',
    'ssh_settings',
    'network_settings',
    'enable_node_public_ip',
  ],
  ComputeInstance: [
    'size',
    'ssh_public_access_enabled',
    'ssh_settings',
    'idle_time_before_shutdown',
    'idle_time_before_shutdown_minutes',
    'schedules',
    'create_on_behalf_of',
    'setup_scripts',
    'network_settings',
    'enable_node_public_ip',
    'enable_sso',
    'enable_root_access',
    'custom_applications',
    'start_after_creation',
  ],
  AKS: ['size', 'agent_count', 'cluster_purpose', 'ssl', 'load_balancer_type'],
  Kubernetes: ['namespace', 'default_instance_type'],
  VirtualMachine: vmSsh,
  HDInsight: vmSsh,
  Databricks: ['workspace_url', 'access_token'],
  DataLakeAnalytics: ['account_name'],
  SynapseSpark: [],
  DataFactory: [],
  Slurm: [...scale, 'partition', 'qos', 'account', 'slurm_conf', 'login_host', 'ssh_private_key_file'],
};

const ident: Record<string, string> = {
  none: 'None',
  system_assigned: 'SystemAssigned',
  user_assigned: 'UserAssigned',
  'system_assigned,user_assigned': 'SystemAssigned,UserAssigned',
};
const cap = (s: unknown): string =>
  typeof s === 'string' && s.length > 0 ? s[0]?.toUpperCase() + s.slice(1) : String(s);

/** The API computeType of a YAML/CLI `type` value. */
export function computeTypeOf(type: unknown): ComputeType {
  const t = cliTypeToComputeType[String(type ?? '').toLowerCase()];
  if (!t)
    throw new UsageError(
      `type: '${String(type)}' is not a compute type; use one of ${Object.keys(cliTypeToComputeType).join(', ')}`,
    );
  return t;
}

function identityOf(doc: Doc): Doc | undefined {
  const id = doc.identity as Doc | undefined;
  if (!id) return undefined;
  const type = ident[String(id.type ?? 'none').toLowerCase()];
  if (!type)
    throw new UsageError(
      `identity.type: '${String(id.type)}' must be none, system_assigned, user_assigned or system_assigned,user_assigned`,
    );
  const uai = id.user_assigned_identities as ({ resource_id?: string } | string)[] | undefined;
  return {
    type,
    ...(uai
      ? {
          userAssignedIdentities: Object.fromEntries(
            uai.map((u) => [typeof u === 'string' ? u : String(u.resource_id), {}]),
          ),
        }
      : {}),
  };
}

/** A YAML count or duration: a whole number ≥ 0 (as az ml's schema has it), named when it is not. */
function wholeNumber(doc: Doc, key: string, unit: string): number {
  const v = doc[key];
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
    throw new UsageError(`${key}: must be a whole number ≥ 0 (${unit}); got ${JSON.stringify(v)}`);
  return n;
}

function scaleOf(doc: Doc): Doc {
  const out: Doc = {};
  if (doc.size !== undefined) out.vmSize = doc.size;
  if (doc.tier !== undefined) {
    const tier = String(doc.tier).toLowerCase();
    if (tier !== 'dedicated' && tier !== 'low_priority')
      throw new UsageError(`tier: '${String(doc.tier)}' must be dedicated or low_priority`);
    out.vmPriority = tier === 'dedicated' ? 'Dedicated' : 'LowPriority';
  }
  const s: Doc = {};
  if (doc.min_instances !== undefined)
    s.minNodeCount = wholeNumber(doc, 'min_instances', 'a number of nodes');
  if (doc.max_instances !== undefined)
    s.maxNodeCount = wholeNumber(doc, 'max_instances', 'a number of nodes');
  if (doc.idle_time_before_scale_down !== undefined)
    s.nodeIdleTimeBeforeScaleDown = `PT${wholeNumber(doc, 'idle_time_before_scale_down', 'seconds')}S`;
  if (Object.keys(s).length > 0) out.scaleSettings = s;
  return out;
}

function scheduleOf(s: Doc): Doc {
  const trigger = (s.trigger ?? {}) as Doc;
  const out: Doc = {
    action: cap(String(s.action ?? '').toLowerCase()),
    status: cap(String(s.state ?? 'enabled').toLowerCase()),
    triggerType: cap(String(trigger.type ?? '').toLowerCase()),
  };
  const tz = trigger.time_zone === undefined ? {} : { timeZone: trigger.time_zone };
  const start = trigger.start_time === undefined ? {} : { startTime: trigger.start_time };
  if (out.triggerType === 'Cron') out.cron = { expression: trigger.expression, ...start, ...tz };
  else {
    const sch = (trigger.schedule ?? {}) as Doc;
    out.recurrence = {
      frequency: cap(String(trigger.frequency ?? '').toLowerCase()),
      interval: trigger.interval,
      ...start,
      ...tz,
      schedule: {
        hours: sch.hours ?? [],
        minutes: sch.minutes ?? [],
        ...(sch.week_days ? { weekDays: (sch.week_days as string[]).map((d) => cap(d.toLowerCase())) } : {}),
      },
    };
  }
  return out;
}

/** az ml's setup_scripts.{creation,startup}_script: {path, command, timeout_minutes}; a local file is sent inline. */
function setupScriptsOf(doc: Doc, readFile: (path: string) => string): Doc | undefined {
  const setup = doc.setup_scripts as Doc | undefined;
  if (!setup) return undefined;
  const one = (s: Doc | undefined): Doc | undefined => {
    if (!s) return undefined;
    const source =
      s.path !== undefined
        ? Buffer.from(readFile(String(s.path))).toString('base64')
        : Buffer.from(String(s.command ?? '')).toString('base64');
    return {
      scriptSource: 'inline',
      scriptData: source,
      ...(s.path !== undefined && s.command !== undefined ? { scriptArguments: String(s.command) } : {}),
      ...(s.timeout_minutes !== undefined ? { timeout: `${Number(s.timeout_minutes)}m` } : {}),
    };
  };
  const creationScript = one(setup.creation_script as Doc | undefined);
  const startupScript = one(setup.startup_script as Doc | undefined);
  return {
    scripts: { ...(creationScript ? { creationScript } : {}), ...(startupScript ? { startupScript } : {}) },
  };
}

/** az ml's custom_applications → customServices (Hangar adds `command` for apps without an image). */
function customAppsOf(apps: Doc[]): Doc[] {
  return apps.map((a) => ({
    name: a.name,
    ...(a.image !== undefined ? { image: { type: 'docker', reference: a.image } } : {}),
    ...(a.command !== undefined ? { command: a.command } : {}),
    ...(a.environment_variables
      ? {
          environmentVariables: Object.fromEntries(
            Object.entries(a.environment_variables as Doc).map(([k, v]) => [
              k,
              { type: 'local', value: String(v) },
            ]),
          ),
        }
      : {}),
    endpoints: ((a.endpoints ?? []) as Doc[]).map((e) => ({
      name: e.name ?? 'connect',
      protocol: e.protocol ?? 'http',
      target: Number(e.target),
      published: Number(e.published),
    })),
    ...(a.bind_mounts
      ? {
          volumes: (a.bind_mounts as Doc[]).map((m) => ({
            type: 'bind',
            source: m.source,
            target: m.target,
            readOnly: m.read_only === true,
          })),
        }
      : {}),
  }));
}

function instanceOf(doc: Doc, readFile: (path: string) => string): Doc {
  const out: Doc = {};
  if (doc.size !== undefined) out.vmSize = doc.size;
  const ssh = (doc.ssh_settings ?? {}) as Doc;
  if (
    doc.ssh_public_access_enabled !== undefined ||
    ssh.ssh_key_value !== undefined ||
    ssh.ssh_key_name !== undefined
  ) {
    out.sshSettings = {
      sshPublicAccess: doc.ssh_public_access_enabled === true ? 'Enabled' : 'Disabled',
      ...(ssh.ssh_key_value ? { adminPublicKey: ssh.ssh_key_value } : {}),
      ...(ssh.admin_username ? { adminUserName: ssh.admin_username } : {}),
      ...(ssh.ssh_key_name ? { sshKeyName: ssh.ssh_key_name } : {}),
    };
  }
  if (doc.idle_time_before_shutdown !== undefined) out.idleTimeBeforeShutdown = doc.idle_time_before_shutdown;
  if (doc.idle_time_before_shutdown_minutes !== undefined)
    out.idleTimeBeforeShutdown = `PT${Number(doc.idle_time_before_shutdown_minutes)}M`;
  const schedules = (doc.schedules as Doc | undefined)?.compute_start_stop as Doc[] | undefined;
  if (schedules) out.schedules = { computeStartStop: schedules.map(scheduleOf) };
  const onBehalf = doc.create_on_behalf_of as Doc | undefined;
  if (onBehalf)
    out.personalComputeInstanceSettings = {
      assignedUser: { objectId: onBehalf.user_object_id, tenantId: onBehalf.user_tenant_id ?? '' },
    };
  if (doc.enable_sso !== undefined) out.enableSSO = doc.enable_sso;
  if (doc.enable_root_access !== undefined) out.enableRootAccess = doc.enable_root_access;
  const setup = setupScriptsOf(doc, readFile);
  if (setup) out.setupScripts = setup;
  if (doc.custom_applications) out.customServices = customAppsOf(doc.custom_applications as Doc[]);
  if (doc.start_after_creation !== undefined) out.startAfterCreation = doc.start_after_creation;
  return out;
}

function clusterOf(doc: Doc): Doc {
  const out = scaleOf(doc);
  if (doc.ssh_public_access_enabled !== undefined)
    out.remoteLoginPortPublicAccess = doc.ssh_public_access_enabled === true ? 'Enabled' : 'Disabled';
  const ssh = doc.ssh_settings as Doc | undefined;
  if (ssh)
    out.userAccountCredentials = {
      adminUserName: ssh.admin_username,
      ...(ssh.admin_password ? { adminUserPassword: ssh.admin_password } : {}),
      ...(ssh.ssh_key_value ? { adminUserSshPublicKey: ssh.ssh_key_value } : {}),
    };
  const net = doc.network_settings as Doc | undefined;
  if (net?.subnet) out.subnet = { id: String(net.subnet) };
  if (doc.enable_node_public_ip !== undefined) out.enableNodePublicIp = doc.enable_node_public_ip;
  return out;
}

function aksOf(doc: Doc): Doc {
  const out: Doc = {};
  if (doc.size !== undefined) out.agentVmSize = doc.size;
  if (doc.agent_count !== undefined) out.agentCount = Number(doc.agent_count);
  if (doc.cluster_purpose !== undefined) out.clusterPurpose = doc.cluster_purpose;
  if (doc.load_balancer_type !== undefined) out.loadBalancerType = doc.load_balancer_type;
  const ssl = doc.ssl as Doc | undefined;
  if (ssl) {
    out.sslConfiguration = {
      status: 'Enabled',
      ...(ssl.cert ? { cert: ssl.cert } : {}),
      ...(ssl.key ? { key: ssl.key } : {}),
      ...(ssl.cname ? { cname: ssl.cname } : {}),
      ...(ssl.leaf_domain_label ? { leafDomainLabel: ssl.leaf_domain_label } : {}),
      ...(ssl.overwrite_existing_domain !== undefined
        ? { overwriteExistingDomain: ssl.overwrite_existing_domain }
        : {}),
    };
  }
  return out;
}

function machineOf(doc: Doc, readFile: (path: string) => string): Doc {
  const ssh = (doc.ssh_settings ?? {}) as Doc;
  const account: Doc = { username: ssh.admin_username };
  if (ssh.admin_password !== undefined) account.password = ssh.admin_password;
  if (ssh.ssh_private_key_file !== undefined)
    account.privateKeyData = readFile(String(ssh.ssh_private_key_file));
  if (ssh.ssh_key_passphrase !== undefined) account.privateKeyPassphrase = ssh.ssh_key_passphrase;
  return {
    address: doc.address,
    ...(ssh.ssh_port !== undefined ? { sshPort: Number(ssh.ssh_port) } : {}),
    administratorAccount: account,
  };
}

/** A Synapse Spark pool is attached by its Azure resource id, as az ml does; its parts fill the record. */
function synapseOf(doc: Doc): Doc {
  if (typeof doc.resource_id !== 'string' || doc.resource_id === '')
    throw new UsageError(
      "resource_id: required for type synapsespark (the Spark pool's id, /subscriptions/…/providers/Microsoft.Synapse/workspaces/<ws>/bigDataPools/<pool>)",
    );
  const m =
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Synapse\/workspaces\/([^/]+)\/bigDataPools\/([^/]+)\/?$/i.exec(
      doc.resource_id,
    );
  if (!m)
    throw new UsageError(
      `resource_id: a synapsespark resource id has the form /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Synapse/workspaces/<ws>/bigDataPools/<pool>; got '${doc.resource_id}'`,
    );
  return { subscriptionId: m[1], resourceGroup: m[2], workspaceName: m[3], poolName: m[4] };
}

/** An attached machine is reached over SSH at its address; Hangar cannot look one up from an Azure resource id. */
function requireAddress(doc: Doc): void {
  if (typeof doc.address === 'string' && doc.address !== '') return;
  const from =
    doc.resource_id !== undefined
      ? ` Hangar reaches the machine over SSH and cannot look it up from resource_id '${String(doc.resource_id)}';`
      : '';
  throw new UsageError(
    `address: required for type ${String(doc.type)}.${from} add \`address: <host name or IP>\` (with ssh_settings.admin_username and a key or password); got ${doc.address === undefined ? 'no address' : JSON.stringify(doc.address)}`,
  );
}

function slurmOf(doc: Doc, readFile: (path: string) => string): Doc {
  const out = scaleOf(doc);
  for (const [from, to] of [
    ['partition', 'partition'],
    ['qos', 'qos'],
    ['account', 'account'],
    ['slurm_conf', 'slurmConf'],
    ['login_host', 'loginHost'],
  ] as const)
    if (doc[from] !== undefined) out[to] = doc[from];
  if (doc.ssh_private_key_file !== undefined) out.sshPrivateKey = readFile(String(doc.ssh_private_key_file));
  return out;
}

function typeProperties(type: ComputeType, doc: Doc, readFile: (path: string) => string): Doc {
  switch (type) {
    case 'AmlCompute':
      return clusterOf(doc);
    case 'ComputeInstance':
      return instanceOf(doc, readFile);
    case 'AKS':
      return aksOf(doc);
    case 'Kubernetes':
      return {
        ...(doc.namespace !== undefined ? { namespace: doc.namespace } : {}),
        ...(doc.default_instance_type !== undefined
          ? { defaultInstanceType: doc.default_instance_type }
          : {}),
      };
    case 'VirtualMachine':
    case 'HDInsight':
      requireAddress(doc);
      return machineOf(doc, readFile);
    case 'Databricks':
      return {
        workspaceUrl: doc.workspace_url,
        ...(doc.access_token !== undefined ? { databricksAccessToken: doc.access_token } : {}),
      };
    case 'DataLakeAnalytics':
      return { dataLakeStoreAccountName: doc.account_name };
    case 'SynapseSpark':
      return synapseOf(doc);
    case 'DataFactory':
      return {};
    case 'Slurm':
      return slurmOf(doc, readFile);
  }
}

/**
 * Maps an az ml v2 compute YAML document (after flags and --set were applied) to the API's PUT
 * body. Unknown keys for the type are refused by name, as az ml does.
 */
export function yamlToComputeRequest(
  doc: Doc,
  readFile: (path: string) => string,
): { name: string; body: Doc } {
  const type = computeTypeOf(doc.type);
  const allowed = new Set([...common, ...keysByType[type]]);
  const unknown = Object.keys(doc).filter((k) => !allowed.has(k));
  if (unknown.length > 0)
    throw new UsageError(
      `unknown field${unknown.length > 1 ? 's' : ''} for type ${String(doc.type)}: ${unknown.join(', ')}`,
    );
  if (typeof doc.name !== 'string' || doc.name === '')
    throw new UsageError('name: required (in the YAML or with --name)');
  const properties: Doc = { computeType: type, properties: typeProperties(type, doc, readFile) };
  if (doc.description !== undefined) properties.description = doc.description;
  if (doc.resource_id !== undefined) properties.resourceId = doc.resource_id;
  const body: Doc = { properties };
  if (doc.location !== undefined) body.location = doc.location;
  if (doc.tags !== undefined)
    body.tags = Object.fromEntries(Object.entries(doc.tags as Doc).map(([k, v]) => [k, String(v)]));
  const identity = identityOf(doc);
  if (identity) body.identity = identity;
  return { name: doc.name, body };
}

/** ARM field paths (under properties.properties) and the az ml YAML key each comes from. */
const yamlKeyOfArm: readonly [string, string][] = [
  ['scaleSettings.minNodeCount', 'min_instances'],
  ['scaleSettings.maxNodeCount', 'max_instances'],
  ['scaleSettings.nodeIdleTimeBeforeScaleDown', 'idle_time_before_scale_down'],
  ['scaleSettings', 'min_instances/max_instances'],
  ['vmSize', 'size'],
  ['agentVmSize', 'size'],
  ['vmPriority', 'tier'],
  ['remoteLoginPortPublicAccess', 'ssh_public_access_enabled'],
  ['userAccountCredentials.adminUserName', 'ssh_settings.admin_username'],
  ['userAccountCredentials.adminUserPassword', 'ssh_settings.admin_password'],
  ['userAccountCredentials.adminUserSshPublicKey', 'ssh_settings.ssh_key_value'],
  ['userAccountCredentials', 'ssh_settings'],
  ['subnet.id', 'network_settings.subnet'],
  ['subnet', 'network_settings.subnet'],
  ['enableNodePublicIp', 'enable_node_public_ip'],
  ['sshSettings.sshPublicAccess', 'ssh_public_access_enabled'],
  ['sshSettings.adminPublicKey', 'ssh_settings.ssh_key_value'],
  ['sshSettings.adminUserName', 'ssh_settings.admin_username'],
  ['sshSettings', 'ssh_settings'],
  ['idleTimeBeforeShutdown', 'idle_time_before_shutdown'],
  ['schedules.computeStartStop', 'schedules.compute_start_stop'],
  ['personalComputeInstanceSettings.assignedUser.objectId', 'create_on_behalf_of.user_object_id'],
  ['personalComputeInstanceSettings.assignedUser.tenantId', 'create_on_behalf_of.user_tenant_id'],
  ['personalComputeInstanceSettings', 'create_on_behalf_of'],
  ['setupScripts.scripts.creationScript', 'setup_scripts.creation_script'],
  ['setupScripts.scripts.startupScript', 'setup_scripts.startup_script'],
  ['setupScripts', 'setup_scripts'],
  ['customServices', 'custom_applications'],
  ['enableSSO', 'enable_sso'],
  ['enableRootAccess', 'enable_root_access'],
  ['startAfterCreation', 'start_after_creation'],
  ['agentCount', 'agent_count'],
  ['clusterPurpose', 'cluster_purpose'],
  ['loadBalancerType', 'load_balancer_type'],
  ['sslConfiguration', 'ssl'],
  ['defaultInstanceType', 'default_instance_type'],
  ['sshPort', 'ssh_settings.ssh_port'],
  ['administratorAccount.username', 'ssh_settings.admin_username'],
  ['administratorAccount.password', 'ssh_settings.admin_password'],
  ['administratorAccount.privateKeyData', 'ssh_settings.ssh_private_key_file'],
  ['administratorAccount', 'ssh_settings'],
  ['workspaceUrl', 'workspace_url'],
  ['databricksAccessToken', 'access_token'],
  ['dataLakeStoreAccountName', 'account_name'],
  ['slurmConf', 'slurm_conf'],
  ['loginHost', 'login_host'],
  ['sshPrivateKey', 'ssh_private_key_file'],
];

/** The YAML key a server error target names, for a compute sent from YAML (unchanged when not an ARM path). */
export function yamlFieldOf(target: string, doc: Doc = {}): string {
  if (target === 'properties.description') return 'description';
  if (target === 'properties.resourceId') return 'resource_id';
  const inner = /^properties\.properties\.(.+)$/.exec(target)?.[1];
  if (inner === undefined) return target;
  for (const [arm, yaml] of yamlKeyOfArm)
    if (inner === arm || inner.startsWith(`${arm}.`) || inner.startsWith(`${arm}[`)) {
      const key =
        yaml === 'idle_time_before_shutdown' && doc.idle_time_before_shutdown_minutes !== undefined
          ? 'idle_time_before_shutdown_minutes'
          : yaml;
      return `${key}${inner.slice(arm.length)}`;
    }
  return inner;
}

/**
 * A server error about a compute sent from YAML, said in the YAML's terms: targets and the ARM
 * names inside messages become the keys the user wrote (`min_instances`, not
 * properties.properties.scaleSettings.minNodeCount).
 */
export function inYamlTerms<
  E extends { message: string; target?: string; details?: { message: string; target?: string }[] },
>(error: E, doc: Doc): E {
  const said = (message: string): string => {
    let out = message.replace(/properties\.properties\.[A-Za-z0-9_.[\]]+/g, (path) => yamlFieldOf(path, doc));
    for (const [arm, yaml] of yamlKeyOfArm) {
      const last = arm.split('.').pop() ?? arm;
      // Only camelCase ARM names: plain words (password, address) stay as they are.
      if (/[A-Z]/.test(last))
        out = out.replace(new RegExp(`\\b${last}\\b`, 'g'), yaml.split('.').pop() ?? yaml);
    }
    return out;
  };
  const details = error.details?.map((d) => {
    const target = d.target === undefined ? undefined : yamlFieldOf(d.target, doc);
    const message = said(d.message);
    // The target is printed before the message: said once.
    return {
      ...d,
      ...(target === undefined ? {} : { target }),
      message: target && message.startsWith(`${target}: `) ? message.slice(target.length + 2) : message,
    };
  });
  return {
    ...error,
    message: said(error.message),
    ...(error.target === undefined ? {} : { target: yamlFieldOf(error.target, doc) }),
    ...(details ? { details } : {}),
  };
}

/** Parses `--tags a=b c=d` into a map. */
export function parseTags(pairs: string[] | undefined): Record<string, string> | undefined {
  if (!pairs) return undefined;
  return Object.fromEntries(
    pairs.map((p) => {
      const eq = p.indexOf('=');
      if (eq <= 0) throw new UsageError(`--tags: '${p}' must be key=value`);
      return [p.slice(0, eq), p.slice(eq + 1)];
    }),
  );
}
