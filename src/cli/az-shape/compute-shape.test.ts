import { describe, expect, it } from 'vitest';
import { computeShape, identityShape } from './compute-shape.js';
import { durationSeconds, snakeCase } from './snake-case.js';

const cluster = {
  id: '/workspaces/ws/computes/cpu',
  name: 'cpu',
  location: 'local',
  tags: { team: 'a' },
  identity: { type: 'SystemAssigned', principalId: 'mi-1', tenantId: 'hangar' },
  systemData: { createdAt: '2026-01-01T00:00:00.000Z', lastModifiedAt: '2026-01-02T00:00:00.000Z' },
  properties: {
    computeType: 'AmlCompute',
    computeLocation: 'local',
    provisioningState: 'Succeeded',
    provisioningErrors: [],
    createdOn: '2026-01-01T00:00:00.000Z',
    modifiedOn: '2026-01-02T00:00:00.000Z',
    description: 'CPU pool',
    properties: {
      vmSize: 'STANDARD_DS3_V2',
      vmPriority: 'LowPriority',
      scaleSettings: { minNodeCount: 0, maxNodeCount: 4, nodeIdleTimeBeforeScaleDown: 'PT120S' },
      remoteLoginPortPublicAccess: 'Disabled',
      currentNodeCount: 1,
      allocationState: 'Steady',
      nodeStateCounts: { idleNodeCount: 1 },
      errors: [],
    },
  },
};

describe('computeShape', () => {
  it('prints a cluster with the YAML keys az ml shows', () => {
    expect(computeShape(cluster)).toEqual({
      name: 'cpu',
      id: '/workspaces/ws/computes/cpu',
      type: 'amlcompute',
      location: 'local',
      description: 'CPU pool',
      tags: { team: 'a' },
      provisioning_state: 'Succeeded',
      created_on: '2026-01-01T00:00:00.000Z',
      last_modified_on: '2026-01-02T00:00:00.000Z',
      identity: { type: 'system_assigned', principal_id: 'mi-1', tenant_id: 'hangar' },
      size: 'STANDARD_DS3_V2',
      tier: 'low_priority',
      min_instances: 0,
      max_instances: 4,
      idle_time_before_scale_down: 120,
      ssh_public_access_enabled: false,
      current_node_count: 1,
      allocation_state: 'Steady',
      node_state_counts: { idle_node_count: 1 },
    });
  });

  it('prints an instance with its state, services and ssh settings', () => {
    const shaped = computeShape({
      id: '/workspaces/ws/computes/box',
      name: 'box',
      properties: {
        computeType: 'ComputeInstance',
        provisioningState: 'Succeeded',
        provisioningErrors: [{ error: { code: 'SetupFailed', message: 'boom' } }],
        properties: {
          vmSize: 'Standard_DS3_v2',
          state: 'Running',
          sshSettings: { sshPublicAccess: 'Enabled', adminUserName: 'azureuser', sshPort: 2222 },
          idleTimeBeforeShutdown: 'PT30M',
          personalComputeInstanceSettings: { assignedUser: { objectId: 'u1', tenantId: '' } },
          applications: [{ displayName: 'jupyter', endpointUri: '/apps/ws/box/jupyter/' }],
          connectionString: 'ssh -p 2222 azureuser@10.0.0.1',
        },
      },
    });
    expect(shaped).toMatchObject({
      type: 'computeinstance',
      state: 'Running',
      size: 'Standard_DS3_v2',
      ssh_public_access_enabled: true,
      ssh_settings: { admin_username: 'azureuser', ssh_port: 2222 },
      idle_time_before_shutdown: 'PT30M',
      idle_time_before_shutdown_minutes: 30,
      create_on_behalf_of: { user_object_id: 'u1' },
      services: [{ display_name: 'jupyter', endpoint_uri: '/apps/ws/box/jupyter/' }],
      provisioning_errors: [{ code: 'SetupFailed', message: 'boom' }],
      connection_string: 'ssh -p 2222 azureuser@10.0.0.1',
    });
    const keys = (v: unknown): string[] =>
      v !== null && typeof v === 'object'
        ? Object.entries(v).flatMap(([k, x]) => [...(Array.isArray(v) ? [] : [k]), ...keys(x)])
        : [];
    expect(keys(shaped).filter((k) => /[A-Z]/.test(k))).toEqual([]);
  });

  it('lists user-assigned identities by resource id', () => {
    expect(
      identityShape({
        type: 'SystemAssigned,UserAssigned',
        principalId: 'p',
        userAssignedIdentities: { '/ids/a': { principalId: '/ids/a', clientId: '/ids/a' } },
      }),
    ).toEqual({
      type: 'system_assigned,user_assigned',
      principal_id: 'p',
      user_assigned_identities: [{ resource_id: '/ids/a', principal_id: '/ids/a', client_id: '/ids/a' }],
    });
  });
});

describe('snake-case helpers', () => {
  it('snake_cases camelCase keys as azure-ai-ml names them', () => {
    expect(snakeCase('provisioningState')).toBe('provisioning_state');
    expect(snakeCase('memoryGB')).toBe('memory_gb');
    expect(snakeCase('vCPUs')).toBe('v_cp_us');
  });

  it('reads ISO-8601 durations in seconds', () => {
    expect(durationSeconds('PT120S')).toBe(120);
    expect(durationSeconds('PT1H30M')).toBe(5400);
    expect(durationSeconds('P1D')).toBe(86400);
    expect(durationSeconds('soon')).toBeUndefined();
  });
});
