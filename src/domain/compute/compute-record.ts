import type { ErrorDetail } from '../errors/hangar-error.js';
import type { ComputeType, ProvisioningState } from './compute-kinds.js';
import type { InstanceControl } from '../instances/instance.js';

/** Managed identity of a compute. */
export interface IdentitySpec {
  type: 'None' | 'SystemAssigned' | 'UserAssigned' | 'SystemAssigned,UserAssigned';
  userAssignedIdentities?: Record<string, Record<string, unknown>>;
}

/** Desired state of a compute, as validated from a request (secrets removed, defaults filled). */
export interface ComputeSpec {
  computeType: ComputeType;
  location: string;
  description?: string;
  tags: Record<string, string>;
  identity: IdentitySpec;
  resourceId?: string;
  disableLocalAuth?: boolean;
  /** Type-specific properties (Azure's `properties.properties`), without secret values. */
  properties: Record<string, unknown>;
  /** Dotted paths inside `properties` whose values are kept in the encrypted secret store. */
  secretPaths: string[];
}

/** Observed state of a compute, written by the loops (and the API for state transitions). */
export interface ComputeStatus {
  provisioningState: ProvisioningState;
  provisioningErrors: ErrorDetail[];
  /** Type-specific observed fields merged into `properties.properties` on read. */
  observed: Record<string, unknown>;
}

/** What the store keeps for one compute. */
export interface ComputeRecord {
  /** Stable id (uuid). */
  id: string;
  workspace: string;
  name: string;
  spec: ComputeSpec;
  status: ComputeStatus;
  /** Set while Deleting: delete the underlying resource or only detach it. */
  deleteAction?: 'Delete' | 'Detach';
  /** Compute instances: desired power state and the instance loop's bookkeeping. */
  instance?: InstanceControl;
  /** Run-based compute: made for this job (its name) and deleted when the job ends. */
  runFor?: string;
  createdAt: string;
  modifiedAt: string;
  /** Optimistic-concurrency version, bumped by every write. */
  version: number;
}

/** Cluster-like kinds whose spec carries scaleSettings. */
export function isScalable(spec: ComputeSpec): boolean {
  return spec.computeType === 'AmlCompute' || spec.computeType === 'Slurm';
}
