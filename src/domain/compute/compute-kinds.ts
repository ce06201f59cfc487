/** Every compute kind, as Azure ML's `computeType` names them, plus Hangar's own Slurm. */
export const computeTypes = [
  'AmlCompute',
  'ComputeInstance',
  'AKS',
  'Kubernetes',
  'VirtualMachine',
  'HDInsight',
  'Databricks',
  'DataLakeAnalytics',
  'SynapseSpark',
  'DataFactory',
  'Slurm',
] as const;

/** A compute kind. */
export type ComputeType = (typeof computeTypes)[number];

/** What Hangar does with one kind of compute: the one place that says which kinds can do what. */
export interface ComputeKind {
  /** The kind, as `computeType` names it. */
  type: ComputeType;
  /** The CLI/YAML `type` value (lower-case, as az ml). */
  cliType: string;
  /** Hangar starts and stops this kind's nodes (the node-pool loop keeps them). */
  getsNodes: boolean;
  /** Attached (it exists outside Hangar; detach leaves it be) rather than created by Hangar. */
  isAttached: boolean;
  /** Serves inference deployments (and follows the short-name rule). */
  servesInference: boolean;
  /** Jobs may target it (`compute:` of a job). */
  runnableHere: boolean;
  /** A cluster: its properties carry `scaleSettings` (min..max nodes, idle time before scale down). */
  scalable: boolean;
  /** A compute instance: one node of one owner, with power verbs, schedules and applications. */
  isInstance: boolean;
  /** May live in another location than its workspace (with a warning). */
  mayLiveElsewhere: boolean;
  /** Its backend is checked (reachable, credentials, host key) on create and on every change. */
  verifiedOnChange: boolean;
}

/** The capabilities of a kind (every flag false unless its row says otherwise). */
export type Capability = Exclude<keyof ComputeKind, 'type' | 'cliType'>;

const none = {
  getsNodes: false,
  isAttached: false,
  servesInference: false,
  runnableHere: false,
  scalable: false,
  isInstance: false,
  mayLiveElsewhere: false,
  verifiedOnChange: false,
} as const satisfies Record<Capability, false>;

/** A row: the kind, its CLI name, and the capabilities it has (literal, so types can read the table). */
function kind<const T extends ComputeType, const C extends Partial<Record<Capability, true>>>(
  type: T,
  cliType: string,
  can: C,
): { type: T; cliType: string } & Omit<typeof none, keyof C> & C {
  return { ...none, ...can, type, cliType };
}

/** The capability table: one row per compute kind. */
export const computeKinds = {
  AmlCompute: kind('AmlCompute', 'amlcompute', {
    getsNodes: true,
    runnableHere: true,
    scalable: true,
    mayLiveElsewhere: true,
  }),
  ComputeInstance: kind('ComputeInstance', 'computeinstance', {
    getsNodes: true,
    runnableHere: true,
    isInstance: true,
  }),
  // Inference clusters: pools of nodes (started by the same providers) that host deployment replicas.
  AKS: kind('AKS', 'aks', { getsNodes: true, servesInference: true, mayLiveElsewhere: true }),
  Kubernetes: kind('Kubernetes', 'kubernetes', {
    getsNodes: true,
    isAttached: true,
    servesInference: true,
    mayLiveElsewhere: true,
  }),
  VirtualMachine: kind('VirtualMachine', 'virtualmachine', {
    getsNodes: true,
    isAttached: true,
    runnableHere: true,
    verifiedOnChange: true,
  }),
  HDInsight: kind('HDInsight', 'hdinsight', { isAttached: true }),
  Databricks: kind('Databricks', 'databricks', { isAttached: true }),
  DataLakeAnalytics: kind('DataLakeAnalytics', 'datalakeanalytics', { isAttached: true }),
  SynapseSpark: kind('SynapseSpark', 'synapsespark', { isAttached: true }),
  DataFactory: kind('DataFactory', 'datafactory', { isAttached: true }),
  Slurm: kind('Slurm', 'slurm', {
    getsNodes: true,
    isAttached: true,
    runnableHere: true,
    scalable: true,
    mayLiveElsewhere: true,
    verifiedOnChange: true,
  }),
} as const satisfies { readonly [K in ComputeType]: ComputeKind & { type: K } };

/** The row of a kind, from the kind itself or anything that names it (a spec, a resource's properties). */
export function kindOf(of: ComputeType | { computeType: ComputeType }): ComputeKind {
  return computeKinds[typeof of === 'string' ? of : of.computeType];
}

/**
 * Why jobs do not run on a kind, in one sentence (undefined when they do): attached services
 * Hangar keeps as records, inference-only kinds.
 */
export function notRunnableReason(type: ComputeType): string | undefined {
  const k = computeKinds[type];
  if (k.runnableHere) return undefined;
  const where = `jobs run on ${kindsThat('runnableHere').join(', ')}`;
  if (k.servesInference) return `a ${type} compute serves inference deployments; ${where}.`;
  return `Hangar keeps an attached ${type} compute as a record only (it does not run ${type} jobs yet); ${where}.`;
}

/** The kinds with a capability, in catalogue order. */
export function kindsThat(capability: Capability): ComputeType[] {
  return computeTypes.filter((t) => computeKinds[t][capability]);
}

/** Kinds whose row says `true` for a capability, as a type. */
type KindsWith<C extends Capability> = {
  [K in ComputeType]: (typeof computeKinds)[K][C] extends true ? K : never;
}[ComputeType];

/** Cluster kinds: their properties carry scaleSettings. */
export type ScalableType = KindsWith<'scalable'>;
/** Kinds whose nodes Hangar starts. */
export type NodeType = KindsWith<'getsNodes'>;
/** The compute instance kind. */
export type InstanceType = KindsWith<'isInstance'>;

/** CLI/YAML `type` values (lower-case, as az ml) to API computeType. */
export const cliTypeToComputeType: Record<string, ComputeType> = Object.fromEntries(
  computeTypes.map((t) => [computeKinds[t].cliType, t]),
);

/**
 * Provisioning state of a compute resource (Azure's ProvisioningState).
 * The API writes Creating/Updating/Deleting; the provisioning loop ends them.
 */
export type ProvisioningState =
  /** Recorded; the provisioning loop has not finished setting it up. */
  | 'Creating'
  /** A change was recorded and is being applied. */
  | 'Updating'
  /** Delete or detach recorded; the loop releases what the compute holds, then removes it. */
  | 'Deleting'
  /** Ready: the desired state is in force. */
  | 'Succeeded'
  /** Setting up failed; `provisioningErrors` says why. */
  | 'Failed'
  /** The operation was cancelled before it finished. */
  | 'Canceled'
  /** Never written by Hangar; part of Azure's enum. */
  | 'Unknown';

export const provisioningStates = [
  'Creating',
  'Updating',
  'Deleting',
  'Succeeded',
  'Failed',
  'Canceled',
  'Unknown',
] as const;
