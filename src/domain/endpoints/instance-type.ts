import { findVmSize, type VmSize } from '../compute/vm-sizes.js';

/** What an instance_type is checked against: the node size of the deployment's pool, or its host's GPUs. */
export interface InstanceTypeCheck {
  instanceType: string | undefined;
  /** Where replicas run, for the message ("compute 'aks1'", "the serving pool"). */
  where: string;
  /** The pool's node size, when its compute names one. */
  nodeSize?: VmSize;
  /** GPUs of the host the serving pool runs on (undefined: not known). */
  hostGpus?: number;
}

const shape = (s: VmSize): string => `${s.vCPUs} vCPUs, ${s.gpus} GPU(s)`;

/**
 * Why a deployment's instance_type cannot be held where its replicas run, in one sentence, or
 * undefined. Names Hangar does not know as sizes pass: a Kubernetes cluster defines its own
 * instance types, and a managed size only sizes the replica.
 */
export function instanceTypeProblem(c: InstanceTypeCheck): string | undefined {
  const size = c.instanceType === undefined ? undefined : findVmSize(c.instanceType);
  if (!size) return undefined;
  const node = c.nodeSize;
  if (node && (size.vCPUs > node.vCPUs || size.gpus > node.gpus))
    return `instance_type: '${size.name}' (${shape(size)}) does not fit a node of ${c.where} (${node.name}: ${shape(node)})`;
  if (c.hostGpus !== undefined && size.gpus > c.hostGpus)
    return `instance_type: '${size.name}' needs ${size.gpus} GPU(s) and ${c.where} runs on a host with ${c.hostGpus}`;
  return undefined;
}
