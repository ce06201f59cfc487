import { HangarError } from '../errors/hangar-error.js';
import type { Distribution } from './job-record.js';

/** The fields each distribution type has besides `type`, as az ml v2 names them. */
const distributionKeys: Readonly<Record<string, readonly string[]>> = {
  pytorch: ['process_count_per_instance'],
  mpi: ['process_count_per_instance'],
  tensorflow: ['worker_count', 'parameter_server_count'],
  none: [],
};

/** Reads az ml's `distribution` (pytorch, mpi, tensorflow), naming the field that is wrong. */
export function parseDistribution(
  raw: Record<string, unknown> | undefined,
  instanceCount: number,
): Distribution {
  const count = (key: string): number => {
    const v = raw?.[key] ?? 1;
    if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 64)
      throw new HangarError(
        'ValidationFailed',
        `distribution.${key}: must be an integer from 1 to 64; got ${JSON.stringify(v)}`,
        `distribution.${key}`,
      );
    return v as number;
  };
  const type = String(raw?.type ?? 'none').toLowerCase();
  const known = Object.hasOwn(distributionKeys, type) ? distributionKeys[type] : undefined;
  if (known)
    for (const key of Object.keys(raw ?? {}))
      if (key !== 'type' && !known.includes(key))
        throw new HangarError(
          'ValidationFailed',
          `distribution.${key}: not a field of a ${type} distribution (${known.length > 0 ? `its fields: type, ${known.join(', ')}` : 'it has only type'}); got ${JSON.stringify(raw?.[key])}`,
          `distribution.${key}`,
        );
  if (type === 'pytorch' || type === 'mpi')
    return { type, processCountPerInstance: count('process_count_per_instance') };
  if (type === 'tensorflow')
    return { type, workerCount: raw?.worker_count === undefined ? instanceCount : count('worker_count') };
  if (type === 'none') return { type, processCountPerInstance: 1 };
  throw new HangarError(
    'ValidationFailed',
    `distribution.type: must be pytorch, mpi or tensorflow; got '${type}'`,
    'distribution.type',
  );
}

/** A port for the job's rendezvous, the same on every rank (derived from its name). */
export function rendezvousPort(jobName: string): number {
  // FNV-1a: any stable spread will do, and it keeps this module browser-safe (the studio imports it).
  let h = 0x811c9dc5;
  for (let i = 0; i < jobName.length; i++) h = Math.imul(h ^ jobName.charCodeAt(i), 0x01000193) >>> 0;
  return 20_000 + (h % 10_000);
}

/** How many processes each of `nodes` nodes starts: process_count_per_instance, or TensorFlow's workers spread over the nodes. */
export function processesPerNode(d: Distribution, nodes: number): number {
  return d.type === 'tensorflow'
    ? Math.max(1, Math.ceil(d.workerCount / Math.max(1, nodes)))
    : d.processCountPerInstance;
}

/**
 * The variables every process of node `rank` gets, as Azure ML sets them: PyTorch's
 * MASTER_ADDR/PORT, WORLD_SIZE, NODE_RANK, MPI's OMPI_COMM_WORLD_SIZE / PMI_SIZE and the
 * AZ_BATCH_* host list and master node. `hosts` are the nodes' addresses in rank order.
 */
export function distributionEnv(
  d: Distribution,
  jobName: string,
  rank: number,
  hosts: readonly string[],
): Record<string, string> {
  const port = rendezvousPort(jobName);
  const perNode = processesPerNode(d, hosts.length);
  const base: Record<string, string> = {
    HANGAR_NODE_RANK: String(rank),
    HANGAR_NODE_COUNT: String(hosts.length),
    HANGAR_PROCESSES_PER_NODE: String(perNode),
    AZUREML_NODE_COUNT: String(hosts.length),
    AZ_BATCH_HOST_LIST: hosts.join(','),
    AZ_BATCHAI_MPI_MASTER_NODE: hosts[0] ?? '',
    AZ_BATCH_MASTER_NODE: `${hosts[0] ?? ''}:${port}`,
    MASTER_ADDR: hosts[0] ?? '',
    MASTER_PORT: String(port),
    WORLD_SIZE: String(hosts.length * perNode),
    NODE_RANK: String(rank),
  };
  if (d.type === 'mpi')
    Object.assign(base, {
      OMPI_COMM_WORLD_SIZE: base.WORLD_SIZE,
      OMPI_COMM_WORLD_LOCAL_SIZE: String(perNode),
      PMI_SIZE: base.WORLD_SIZE,
    });
  return base;
}

/**
 * The variables of the process of local rank `localRank` on node `nodeRank`
 * (RANK = NODE_RANK × processes per node + LOCAL_RANK); TensorFlow's TF_CONFIG names every
 * worker (host:port, one port per worker) and this one's index.
 */
export function processEnv(
  d: Distribution,
  nodeRank: number,
  localRank: number,
  hosts: readonly string[],
  jobName: string,
): Record<string, string> {
  const perNode = processesPerNode(d, hosts.length);
  const rank = nodeRank * perNode + localRank;
  const env: Record<string, string> = {
    RANK: String(rank),
    LOCAL_RANK: String(localRank),
    LOCAL_WORLD_SIZE: String(perNode),
  };
  if (d.type === 'mpi')
    Object.assign(env, {
      OMPI_COMM_WORLD_RANK: String(rank),
      OMPI_COMM_WORLD_LOCAL_RANK: String(localRank),
      OMPI_COMM_WORLD_NODE_RANK: String(nodeRank),
      PMI_RANK: String(rank),
    });
  if (d.type === 'tensorflow') {
    const port = rendezvousPort(jobName);
    const workers = hosts.flatMap((h, n) =>
      Array.from({ length: perNode }, (_, l) => `${h}:${port + 1 + n * perNode + l}`),
    );
    env.TF_CONFIG = JSON.stringify({ cluster: { worker: workers }, task: { type: 'worker', index: rank } });
  }
  return env;
}
