/**
 * GPUs as allocatable resources: which of a host's GPUs a new node gets, which of a node's GPUs
 * each process of a job sees, and the variables that make a job see exactly those. Pure functions.
 */

/** One GPU as `nvidia-smi` reports it. */
export interface GpuDevice {
  index: number;
  name: string;
  memoryMB: number;
}

/** The GPUs a node on a shared host holds (the local provider's bookkeeping). */
export interface GpuHolding {
  nodeId: string;
  indices: readonly number[];
}

/**
 * A node's share of its host's GPUs: granted (these indices), or refused with the reason. `lasting`
 * refusals will not change by waiting (the host has fewer GPUs than the size needs); the others
 * clear when a node holding GPUs goes.
 */
export type GpuGrant =
  { kind: 'grant'; indices: number[] } | { kind: 'refuse'; lasting: boolean; reason: string };

/**
 * Hands `wanted` of the host's GPUs to a new node, never one already held: a cluster of 1-GPU sizes
 * on a 4-GPU host gets at most 4 nodes. Lowest free indices first, so the choice is predictable.
 */
export function grantGpus(input: {
  host: readonly GpuDevice[];
  held: readonly GpuHolding[];
  wanted: number;
  /** For the reason: the VM size asking. */
  sizeName?: string;
}): GpuGrant {
  const { host, held, wanted } = input;
  if (wanted <= 0) return { kind: 'grant', indices: [] };
  const size = input.sizeName ? `${input.sizeName} needs` : 'the node needs';
  if (host.length < wanted)
    return {
      kind: 'refuse',
      lasting: true,
      reason: `${size} ${wanted} GPU(s) and this host has ${host.length === 0 ? 'none (nvidia-smi finds no GPU)' : host.length}; choose a size with at most ${host.length} GPU(s)`,
    };
  const taken = new Set(held.flatMap((h) => h.indices));
  const free = host
    .map((g) => g.index)
    .filter((i) => !taken.has(i))
    .sort((a, b) => a - b);
  if (free.length < wanted) {
    const holders = held
      .filter((h) => h.indices.length > 0)
      .map((h) => `${h.nodeId} (${h.indices.join(',')})`)
      .join(', ');
    return {
      kind: 'refuse',
      lasting: false,
      reason: `${size} ${wanted} GPU(s) and ${free.length} of this host's ${host.length} are free (held by ${holders}); waiting for a node to release its GPUs`,
    };
  }
  return { kind: 'grant', indices: free.slice(0, wanted) };
}

/**
 * The GPUs one process of a job sees. With as many processes as GPUs each process gets one (its
 * local rank's); when the GPUs divide evenly each gets its block; otherwise every process sees all
 * of the node's GPUs and the framework shares them.
 */
export function gpuForProcess(
  nodeGpus: readonly number[],
  localRank: number,
  processesPerNode: number,
): number[] {
  if (processesPerNode <= 1 || nodeGpus.length === 0) return [...nodeGpus];
  if (nodeGpus.length % processesPerNode !== 0 || localRank < 0 || localRank >= processesPerNode)
    return [...nodeGpus];
  const per = nodeGpus.length / processesPerNode;
  return nodeGpus.slice(localRank * per, (localRank + 1) * per);
}

/**
 * What a process is told about its GPUs. Indices are nvidia-smi's (PCI bus order), so CUDA is told
 * to count the same way; an empty list hides every GPU of the host.
 */
export function gpuVisibilityEnv(gpus: readonly number[]): Record<string, string> {
  return { CUDA_DEVICE_ORDER: 'PCI_BUS_ID', CUDA_VISIBLE_DEVICES: gpus.join(',') };
}

/**
 * Inside a container given GPUs `gpus` the runtime numbers them from 0: the process sees its share
 * as positions among the container's devices, and the NVIDIA runtime is told the host's indices.
 */
export function containerGpuEnv(
  containerGpus: readonly number[],
  processGpus: readonly number[],
): Record<string, string> {
  const positions = processGpus.map((g) => containerGpus.indexOf(g)).filter((p) => p >= 0);
  return {
    NVIDIA_VISIBLE_DEVICES: containerGpus.length === 0 ? 'void' : containerGpus.join(','),
    CUDA_VISIBLE_DEVICES: positions.join(','),
  };
}

/** Parses the agent's `--gpus` value: `none`, or indices such as `0,2`. */
export function parseGpuList(value: string): number[] {
  const v = value.trim();
  if (v === '' || v === 'none') return [];
  return v.split(',').map((part) => {
    const n = Number(part.trim());
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`--gpus must be 'none' or GPU indices such as 0,1; got '${value}'`);
    return n;
  });
}

/** Whether a machine's GPUs satisfy a size (SSH machines are checked when attached). */
export function gpuShortfall(
  machineGpus: readonly GpuDevice[],
  size: { name: string; gpus: number },
): string | undefined {
  if (machineGpus.length >= size.gpus) return undefined;
  return `size ${size.name} has ${size.gpus} GPU(s) but the machine reports ${machineGpus.length} (nvidia-smi); choose a size with at most ${machineGpus.length} GPU(s)`;
}

/** The query a host's GPUs are listed with. */
export const gpuInventoryArgs = ['--query-gpu=index,name,memory.total', '--format=csv,noheader,nounits'];

/** Parses the answer to gpuInventoryArgs. */
export function parseGpuInventory(text: string): GpuDevice[] {
  return text
    .split('\n')
    .map((l) => l.split(',').map((s) => s.trim()))
    .filter((p) => p.length >= 3 && p[0] !== '' && Number.isInteger(Number(p[0])))
    .map(([index, name, mem]) => ({ index: Number(index), name: name ?? '', memoryMB: Number(mem) || 0 }));
}

/** What a location's own host has: its GPUs and how many of them nodes hold now. */
export interface LocationGpus {
  total: number;
  free: number;
  /** The models, as nvidia-smi names them (e.g. `Tesla T4`), once each. */
  models: string[];
}

/** A location's GPUs from its host's inventory and the nodes' holdings. */
export function locationGpus(host: readonly GpuDevice[], held: readonly GpuHolding[]): LocationGpus {
  const taken = new Set(held.flatMap((h) => h.indices));
  return {
    total: host.length,
    free: host.filter((g) => !taken.has(g.index)).length,
    models: [...new Set(host.map((g) => g.name).filter((n) => n !== ''))],
  };
}

/**
 * Whether a VM size can have nodes in a location whose machines are its own host (the local
 * provider hands each node its size's GPUs from that host, never more than it has). `onlyHost`
 * is false where other providers (Slurm, SSH machines) may bring GPUs of their own: then a size is
 * never marked unavailable for the host's count alone.
 */
export function sizeGpuAvailability(
  size: { name: string; gpus: number },
  gpus: LocationGpus,
  onlyHost: boolean,
): { available: true } | { available: false; reason: string } {
  if (!onlyHost || size.gpus <= gpus.total) return { available: true };
  const has = gpus.total === 0 ? 'no GPU (nvidia-smi finds none)' : `${gpus.total} GPU(s)`;
  return {
    available: false,
    reason: `${size.name} needs ${size.gpus} GPU(s) per node and this location's host has ${has}`,
  };
}
