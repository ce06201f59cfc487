import type { ErrorDetail } from '../errors/hangar-error.js';
import {
  kindOf,
  type ComputeType,
  type InstanceType,
  type NodeType,
  type ProvisioningState,
  type ScalableType,
} from './compute-kinds.js';
import type { PropertiesOf } from './compute-schema.js';
import type { InstanceControl } from '../instances/instance.js';

/** Managed identity of a compute. */
export interface IdentitySpec {
  type: 'None' | 'SystemAssigned' | 'UserAssigned' | 'SystemAssigned,UserAssigned';
  userAssignedIdentities?: Record<string, Record<string, unknown>>;
}

/**
 * Desired state of a compute of kind K, as validated from a request (secrets removed, defaults
 * filled). `properties` is Azure's `properties.properties`, typed by the kind's schema.
 */
export interface SpecOfKind<K extends ComputeType> {
  computeType: K;
  location: string;
  description?: string;
  tags: Record<string, string>;
  identity: IdentitySpec;
  resourceId?: string;
  disableLocalAuth?: boolean;
  /** Type-specific properties (Azure's `properties.properties`), without secret values. */
  properties: PropertiesOf<K>;
  /** Dotted paths inside `properties` whose values are kept in the encrypted secret store. */
  secretPaths: string[];
}

export type AmlComputeSpec = SpecOfKind<'AmlCompute'>;
export type ComputeInstanceSpec = SpecOfKind<'ComputeInstance'>;
export type AksSpec = SpecOfKind<'AKS'>;
export type KubernetesSpec = SpecOfKind<'Kubernetes'>;
export type VirtualMachineSpec = SpecOfKind<'VirtualMachine'>;
export type HdInsightSpec = SpecOfKind<'HDInsight'>;
export type DatabricksSpec = SpecOfKind<'Databricks'>;
export type DataLakeAnalyticsSpec = SpecOfKind<'DataLakeAnalytics'>;
export type SynapseSparkSpec = SpecOfKind<'SynapseSpark'>;
export type DataFactorySpec = SpecOfKind<'DataFactory'>;
export type SlurmSpec = SpecOfKind<'Slurm'>;

/** Desired state of a compute: a union discriminated by `computeType` (narrow it to read typed properties). */
export type ComputeSpec = { [K in ComputeType]: SpecOfKind<K> }[ComputeType];

/** The spec of one kind (or of a union of kinds). */
export type SpecOf<K extends ComputeType> = Extract<ComputeSpec, { computeType: K }>;

/** Observed state of a compute, written by the loops (and the API for state transitions). */
export interface ComputeStatus {
  provisioningState: ProvisioningState;
  provisioningErrors: ErrorDetail[];
  /** Type-specific observed fields merged into `properties.properties` on read. */
  observed: Record<string, unknown>;
}

/** What the store keeps for one compute (of the kinds S allows; any kind by default). */
export interface ComputeRecord<S extends ComputeSpec = ComputeSpec> {
  /** Stable id (uuid). */
  id: string;
  workspace: string;
  name: string;
  spec: S;
  status: ComputeStatus;
  /** Set while Deleting: delete the underlying resource or only detach it. */
  deleteAction?: 'Delete' | 'Detach';
  /** Compute instances: desired power state and the instance loop's bookkeeping. */
  instance?: InstanceControl;
  /** Run-based compute: made for this job (its name) and deleted when the job ends. */
  runFor?: string;
  createdAt: string;
  modifiedAt: string;
  /**
   * Version of the spec side (everything but the status part), for optimistic concurrency. The
   * store owns it: a spec write (`computes.update`) bumps it, a status write leaves it as it is.
   */
  version: number;
}

/**
 * The status part of a compute: what the loops observe and keep (state, observed fields, instance
 * bookkeeping, run-based and deletion marks). Written apart from the spec (`computes.updateStatus`),
 * so a loop never bumps the version a user's PATCH is checked against, and a spec write never
 * overwrites it.
 */
export interface ComputeStatusPart {
  status: ComputeStatus;
  instance?: InstanceControl;
  runFor?: string;
  deleteAction?: 'Delete' | 'Detach';
}

const statusKeys = ['status', 'instance', 'runFor', 'deleteAction'] as const;

/** The status part of a record (or of a part); absent optional fields stay absent. */
export function statusPartOf(record: ComputeStatusPart): ComputeStatusPart {
  const part: ComputeStatusPart = { status: record.status };
  if (record.instance !== undefined) part.instance = record.instance;
  if (record.runFor !== undefined) part.runFor = record.runFor;
  if (record.deleteAction !== undefined) part.deleteAction = record.deleteAction;
  return part;
}

/** `record` with its status part replaced by `part` (status fields `part` lacks are dropped). */
export function withStatusPart<R extends ComputeRecord>(record: R, part: ComputeStatusPart): R {
  const rest = Object.fromEntries(
    Object.entries(record).filter(([key]) => !(statusKeys as readonly string[]).includes(key)),
  );
  return { ...(rest as Omit<R, keyof ComputeStatusPart>), ...statusPartOf(part) } as R;
}

/** A stored compute of one kind. */
export type ComputeRecordOf<K extends ComputeType> = ComputeRecord<SpecOf<K>>;
/** A stored compute instance. */
export type InstanceRecord = ComputeRecordOf<'ComputeInstance'>;

/** Narrows a spec to one kind. */
export function isSpecOf<K extends ComputeType>(spec: ComputeSpec, type: K): spec is SpecOf<K> {
  return spec.computeType === type;
}

/** Narrows a record to one kind. */
export function isRecordOf<K extends ComputeType>(
  record: ComputeRecord,
  type: K,
): record is ComputeRecordOf<K> {
  return isSpecOf(record.spec, type);
}

/** A compute instance's spec. */
export function isInstanceSpec(spec: ComputeSpec): spec is SpecOf<InstanceType> {
  return kindOf(spec).isInstance;
}

/** A compute instance. */
export function isInstance(record: ComputeRecord): record is InstanceRecord {
  return isInstanceSpec(record.spec);
}

/** Cluster-like kinds (the table's `scalable`) whose spec carries scaleSettings. */
export function isScalable(spec: ComputeSpec): spec is SpecOf<ScalableType> {
  return kindOf(spec).scalable;
}

/** Kinds whose nodes Hangar starts (the table's `getsNodes`). */
export function getsNodes(record: ComputeRecord): record is ComputeRecordOf<NodeType> {
  return kindOf(record.spec).getsNodes;
}

/** The VM size a compute's nodes use, when its kind names one (clusters, instances, Slurm given a size). */
export function nodeVmSize(spec: ComputeSpec): string | undefined {
  return 'vmSize' in spec.properties ? spec.properties.vmSize : undefined;
}

/** A cluster (or Slurm partition) of low-priority nodes, which may be preempted. */
export function isLowPriority(spec: ComputeSpec): boolean {
  return isScalable(spec) && spec.properties.vmPriority === 'LowPriority';
}

/** The bounds of a compute's node pool. */
export interface NodeBounds {
  minNodeCount: number;
  maxNodeCount: number;
  nodeIdleTimeBeforeScaleDown: string;
}

/**
 * How many nodes a compute may have: a cluster its scaleSettings, an instance at most one (while
 * it runs), an attached machine always its one node.
 */
export function nodeBounds(spec: ComputeSpec): NodeBounds {
  if (isScalable(spec)) return spec.properties.scaleSettings;
  // An inference cluster's nodes start as replicas need them, up to its agent count (attached: one).
  if (spec.computeType === 'AKS')
    return {
      minNodeCount: 0,
      maxNodeCount: spec.properties.agentCount,
      nodeIdleTimeBeforeScaleDown: 'PT120S',
    };
  if (spec.computeType === 'Kubernetes')
    return { minNodeCount: 0, maxNodeCount: 1, nodeIdleTimeBeforeScaleDown: 'PT120S' };
  if (isInstanceSpec(spec))
    return { minNodeCount: 0, maxNodeCount: 1, nodeIdleTimeBeforeScaleDown: 'PT120S' };
  return { minNodeCount: 1, maxNodeCount: 1, nodeIdleTimeBeforeScaleDown: 'PT120S' };
}
