import { computeKinds, type ComputeType } from '../../domain/compute/compute-kinds.js';
import { compact, durationSeconds, snakeCase, snakeDeep } from './snake-case.js';

type Doc = Record<string, unknown>;

/** A compute as the API answers it (the ARM envelope), as far as the shape reads it. */
export interface ComputeEnvelope {
  id: string;
  name: string;
  location?: string;
  tags?: Record<string, string>;
  identity?: Doc;
  systemData?: { createdAt?: string; lastModifiedAt?: string };
  properties: Doc;
  warnings?: string[];
}

const identityTypes: Record<string, string> = {
  None: 'none',
  SystemAssigned: 'system_assigned',
  UserAssigned: 'user_assigned',
  'SystemAssigned,UserAssigned': 'system_assigned,user_assigned',
};

/** az ml's identity: `{type: system_assigned, principal_id, tenant_id, user_assigned_identities: [...]}`. */
export function identityShape(identity: Doc | undefined): Doc | undefined {
  if (!identity) return undefined;
  const users = identity.userAssignedIdentities as Record<string, Doc> | undefined;
  return compact({
    type: identityTypes[String(identity.type)] ?? snakeCase(String(identity.type ?? 'None')),
    principal_id: identity.principalId,
    tenant_id: identity.tenantId,
    user_assigned_identities: users
      ? Object.entries(users).map(([resourceId, u]) =>
          compact({ resource_id: resourceId, principal_id: u.principalId, client_id: u.clientId }),
        )
      : undefined,
  });
}

const enabled = (v: unknown): boolean | undefined =>
  v === undefined || v === null ? undefined : String(v) === 'Enabled';

/** The YAML keys of a cluster (amlcompute, slurm): size, tier, min/max_instances, idle seconds. */
function clusterKeys(p: Doc): Doc {
  const scale = (p.scaleSettings ?? {}) as Doc;
  const creds = p.userAccountCredentials as Doc | undefined;
  return {
    size: p.vmSize,
    // Hangar's own: CPU or GPU, as it inferred from the size.
    vm_type: p.vmType,
    tier:
      p.vmPriority === undefined ? undefined : p.vmPriority === 'LowPriority' ? 'low_priority' : 'dedicated',
    min_instances: scale.minNodeCount,
    max_instances: scale.maxNodeCount,
    idle_time_before_scale_down: durationSeconds(scale.nodeIdleTimeBeforeScaleDown),
    ssh_public_access_enabled: enabled(p.remoteLoginPortPublicAccess),
    ssh_settings: creds ? compact({ admin_username: creds.adminUserName }) : undefined,
    network_settings: p.subnet ? { subnet: (p.subnet as Doc).id } : undefined,
    enable_node_public_ip: p.enableNodePublicIp,
    // Observed, as azure-ai-ml's AmlCompute shows them.
    current_node_count: p.currentNodeCount,
    target_node_count: p.targetNodeCount,
    allocation_state: p.allocationState,
    node_state_counts: p.nodeStateCounts === undefined ? undefined : snakeDeep(p.nodeStateCounts),
    errors: Array.isArray(p.errors) && p.errors.length > 0 ? snakeDeep(p.errors) : undefined,
  };
}

/** A compute instance's services as az ml lists them: `[{display_name, endpoint_uri}]`. */
function servicesOf(p: Doc): Doc[] | undefined {
  const apps = p.applications as Doc[] | undefined;
  if (!Array.isArray(apps)) return undefined;
  return apps.map((a) => compact({ display_name: a.displayName, endpoint_uri: a.endpointUri }));
}

function scheduleShape(s: Doc): Doc {
  const cron = s.cron as Doc | undefined;
  const rec = s.recurrence as Doc | undefined;
  const lower = (v: unknown): string | undefined => (typeof v === 'string' ? v.toLowerCase() : undefined);
  const trigger = cron
    ? compact({
        type: 'cron',
        expression: cron.expression,
        start_time: cron.startTime,
        time_zone: cron.timeZone,
      })
    : rec
      ? compact({
          type: 'recurrence',
          frequency: lower(rec.frequency),
          interval: rec.interval,
          start_time: rec.startTime,
          time_zone: rec.timeZone,
          schedule: rec.schedule
            ? compact({
                hours: (rec.schedule as Doc).hours,
                minutes: (rec.schedule as Doc).minutes,
                week_days: ((rec.schedule as Doc).weekDays as string[] | undefined)?.map((d) =>
                  d.toLowerCase(),
                ),
              })
            : undefined,
        })
      : undefined;
  return compact({ action: lower(s.action), state: lower(s.status), trigger });
}

/** The YAML keys of a compute instance, plus its observed state and services. */
function instanceKeys(p: Doc): Doc {
  const ssh = (p.sshSettings ?? {}) as Doc;
  const owner = (p.personalComputeInstanceSettings as Doc | undefined)?.assignedUser as Doc | undefined;
  const schedules = (p.schedules as Doc | undefined)?.computeStartStop as Doc[] | undefined;
  const idle = durationSeconds(p.idleTimeBeforeShutdown);
  return {
    size: p.vmSize,
    state: p.state,
    ssh_public_access_enabled: enabled(ssh.sshPublicAccess),
    ssh_settings: compact({
      admin_username: ssh.adminUserName ?? 'azureuser',
      ssh_port: ssh.sshPort,
      ssh_key_value: ssh.adminPublicKey,
    }),
    idle_time_before_shutdown: p.idleTimeBeforeShutdown,
    idle_time_before_shutdown_minutes: idle === undefined ? undefined : Math.round(idle / 60),
    create_on_behalf_of: owner
      ? compact({ user_object_id: owner.objectId, user_tenant_id: owner.tenantId || undefined })
      : undefined,
    schedules: schedules ? { compute_start_stop: schedules.map(scheduleShape) } : undefined,
    enable_sso: p.enableSSO,
    enable_root_access: p.enableRootAccess,
    services: servicesOf(p),
    custom_applications:
      Array.isArray(p.customServices) && p.customServices.length > 0
        ? snakeDeep(p.customServices)
        : undefined,
    // Hangar's own, beside az ml's: how to reach it and why it is (not) idle.
    connection_string: p.connectionString,
    setup: p.setup === undefined ? undefined : snakeDeep(p.setup),
    activity: p.activity,
    idle_since: p.idleSince,
    next_scheduled_stop: p.nextScheduledStop,
  };
}

function typeKeys(type: ComputeType, p: Doc): Doc {
  switch (type) {
    case 'AmlCompute':
      return clusterKeys(p);
    case 'Slurm':
      return {
        ...clusterKeys(p),
        partition: p.partition,
        qos: p.qos,
        account: p.account,
        slurm_conf: p.slurmConf,
        login_host: p.loginHost,
      };
    case 'ComputeInstance':
      return instanceKeys(p);
    case 'AKS':
      return {
        size: p.agentVmSize,
        agent_count: p.agentCount,
        cluster_purpose: p.clusterPurpose,
        load_balancer_type: p.loadBalancerType,
      };
    case 'Kubernetes':
      return { namespace: p.namespace, default_instance_type: p.defaultInstanceType };
    case 'VirtualMachine':
    case 'HDInsight': {
      const account = (p.administratorAccount ?? {}) as Doc;
      return {
        address: p.address,
        ssh_settings: compact({ admin_username: account.username, ssh_port: p.sshPort }),
      };
    }
    case 'Databricks':
      return { workspace_url: p.workspaceUrl };
    case 'DataLakeAnalytics':
      return { account_name: p.dataLakeStoreAccountName };
    case 'SynapseSpark':
      return {
        pool_name: p.poolName,
        workspace_name: p.workspaceName,
        resource_group: p.resourceGroup,
        subscription_id: p.subscriptionId,
      };
    case 'DataFactory':
      return {};
  }
}

/**
 * The compute as `az ml compute show` prints it: the YAML keys (`name`, `type: amlcompute`,
 * `size`, `min_instances`, …) plus read-only ones (`provisioning_state`, `state`, `services`,
 * `identity.principal_id`, `created_on`), flat and snake_case.
 */
export function computeShape(c: ComputeEnvelope): Doc {
  const props = c.properties;
  const type = props.computeType as ComputeType;
  const inner = (props.properties ?? {}) as Doc;
  const errors = props.provisioningErrors as { error?: Doc }[] | undefined;
  return compact({
    name: c.name,
    id: c.id,
    type: computeKinds[type]?.cliType ?? String(type).toLowerCase(),
    location: c.location ?? props.computeLocation,
    description: props.description,
    tags: c.tags,
    resource_id: props.resourceId,
    provisioning_state: props.provisioningState,
    provisioning_errors:
      errors && errors.length > 0
        ? errors.map((e) => compact({ code: e.error?.code, message: e.error?.message }))
        : undefined,
    created_on: props.createdOn ?? c.systemData?.createdAt,
    last_modified_on: props.modifiedOn ?? c.systemData?.lastModifiedAt,
    identity: identityShape(c.identity),
    ...compact(computeKinds[type] ? typeKeys(type, inner) : (snakeDeep(inner) as Doc)),
  });
}
