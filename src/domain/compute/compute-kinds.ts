import { z } from 'zod';

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
  'Slurm',
] as const;

/** A compute kind. */
export type ComputeType = (typeof computeTypes)[number];

export const computeTypeSchema = z.enum(computeTypes);

/** Kinds that are attached (they exist outside Hangar) rather than created by it. */
export const attachedTypes: ReadonlySet<ComputeType> = new Set([
  'Kubernetes',
  'VirtualMachine',
  'HDInsight',
  'Databricks',
  'DataLakeAnalytics',
  'Slurm',
]);

/** Kinds that serve inference deployments and follow the short-name rule. */
export const inferenceTypes: ReadonlySet<ComputeType> = new Set(['AKS', 'Kubernetes']);

/** CLI/YAML `type` values (lower-case, as az ml) to API computeType. */
export const cliTypeToComputeType: Record<string, ComputeType> = {
  amlcompute: 'AmlCompute',
  computeinstance: 'ComputeInstance',
  aks: 'AKS',
  kubernetes: 'Kubernetes',
  virtualmachine: 'VirtualMachine',
  hdinsight: 'HDInsight',
  databricks: 'Databricks',
  datalakeanalytics: 'DataLakeAnalytics',
  slurm: 'Slurm',
};

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

export const provisioningStates = ['Creating', 'Updating', 'Deleting', 'Succeeded', 'Failed', 'Canceled', 'Unknown'] as const;
