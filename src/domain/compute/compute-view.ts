import { identitiesOf } from '../access/managed-identity.js';
import { kindOf, notRunnableReason } from './compute-kinds.js';
import { isInstanceSpec, isScalable, type ComputeRecord } from './compute-record.js';
import type { ComputeResource } from './compute-resource-schema.js';

export type { ComputeResource } from './compute-resource-schema.js';

/** Renders a stored compute as the API resource, merging observed fields into `properties.properties`. */
export function toComputeResource(record: ComputeRecord, workspaceLocation: string): ComputeResource {
  const { spec, status } = record;
  const resource: ComputeResource = {
    id: `/workspaces/${record.workspace}/computes/${record.name}`,
    name: record.name,
    type: 'Microsoft.MachineLearningServices/workspaces/computes',
    location: spec.location,
    tags: spec.tags,
    identity: identityView(record),
    systemData: { createdAt: record.createdAt, lastModifiedAt: record.modifiedAt },
    properties: {
      computeType: spec.computeType,
      computeLocation: spec.location,
      provisioningState: status.provisioningState,
      provisioningErrors: status.provisioningErrors.map((e) => ({
        error: { code: e.code, message: e.message },
      })),
      createdOn: record.createdAt,
      modifiedOn: record.modifiedAt,
      isAttachedCompute: kindOf(spec).isAttached,
      properties: observedOver(spec.properties, status.observed),
    },
  };
  if (spec.description !== undefined) resource.properties.description = spec.description;
  if (spec.resourceId !== undefined) resource.properties.resourceId = spec.resourceId;
  if (spec.disableLocalAuth !== undefined) resource.properties.disableLocalAuth = spec.disableLocalAuth;
  const warnings: string[] = [];
  if (spec.location !== workspaceLocation)
    warnings.push(
      `Compute location '${spec.location}' differs from the workspace location '${workspaceLocation}': expect extra latency and data-transfer cost between them.`,
    );
  // An attached record that runs nothing says so where it is shown.
  const notRunnable = kindOf(spec).isAttached ? notRunnableReason(spec.computeType) : undefined;
  if (notRunnable && !kindOf(spec).servesInference) warnings.push(`Not runnable here: ${notRunnable}`);
  if (warnings.length > 0) resource.warnings = warnings;
  return resource;
}

/** Azure shows the principal of a system-assigned identity, and each user-assigned one's ids. */
function identityView(record: ComputeRecord): ComputeResource['identity'] {
  const ids = identitiesOf(record);
  if (ids.length === 0) return record.spec.identity;
  const system = ids.find((i) => i.kind === 'SystemAssigned');
  const users = ids.filter((i) => i.kind === 'UserAssigned');
  return {
    ...record.spec.identity,
    ...(system ? { principalId: system.principalId, tenantId: 'hangar' } : {}),
    ...(users.length
      ? {
          userAssignedIdentities: Object.fromEntries(
            users.map((u) => [u.principalId, { principalId: u.principalId, clientId: u.clientId }]),
          ),
        }
      : {}),
  };
}

/** Rebuilds a request body from a stored spec (plus secrets), so a patch can be validated as a whole. */
export function specToRequest(
  record: ComputeRecord,
  secrets: Record<string, string>,
): Record<string, unknown> {
  const { spec } = record;
  const properties: Record<string, unknown> = structuredClone(spec.properties);
  for (const [path, value] of Object.entries(secrets)) {
    const keys = path.split('.');
    let cur = properties;
    for (const k of keys.slice(0, -1)) cur = (cur[k] ??= {}) as Record<string, unknown>;
    cur[keys[keys.length - 1] as string] = value;
  }
  const inner: Record<string, unknown> = { computeType: spec.computeType, properties };
  if (spec.description !== undefined) inner.description = spec.description;
  if (spec.resourceId !== undefined) inner.resourceId = spec.resourceId;
  if (spec.disableLocalAuth !== undefined) inner.disableLocalAuth = spec.disableLocalAuth;
  return { location: spec.location, tags: spec.tags, identity: spec.identity, properties: inner };
}

/**
 * The desired properties with what was observed over them. An instance's observed `sshSettings` is
 * the desired one as it was when the instance was last seen, plus its port: the desired settings
 * win (a key changed a moment ago shows at once, in the PATCH's answer too), the port is observed.
 */
function observedOver(desired: object, observed: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...desired, ...observed };
  const wanted = (desired as Record<string, unknown>).sshSettings;
  const seen = observed.sshSettings;
  if (isObject(wanted) && isObject(seen)) merged.sshSettings = { ...seen, ...wanted };
  return merged;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Initial observed state of a new compute of each kind. */
export function initialObserved(record: Pick<ComputeRecord, 'spec'>): Record<string, unknown> {
  const { spec } = record;
  if (isScalable(spec)) {
    return {
      allocationState: 'Steady',
      currentNodeCount: 0,
      targetNodeCount: 0,
      nodeStateCounts: {
        idleNodeCount: 0,
        runningNodeCount: 0,
        preparingNodeCount: 0,
        unusableNodeCount: 0,
        leavingNodeCount: 0,
        preemptedNodeCount: 0,
      },
      errors: [],
    };
  }
  if (isInstanceSpec(spec)) return { state: 'Creating' };
  return {};
}
