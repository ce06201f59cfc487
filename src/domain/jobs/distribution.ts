import { createHash } from 'node:crypto';
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
  return 20_000 + (createHash('sha256').update(jobName).digest().readUInt16BE(0) % 10_000);
}

/**
 * The variables one node of a multi-node job gets, as Azure ML sets them: PyTorch's
 * MASTER_ADDR/PORT, WORLD_SIZE, NODE_RANK (RANK/LOCAL_RANK per process), MPI's OMPI_* / PMI_* and
 * host list, TensorFlow's TF_CONFIG. `hosts` are the nodes' addresses in rank order.
 */
export function distributionEnv(
  d: Distribution,
  jobName: string,
  rank: number,
  hosts: readonly string[],
): Record<string, string> {
  const port = rendezvousPort(jobName);
  const perNode = d.type === 'tensorflow' ? 1 : d.processCountPerInstance;
  const base: Record<string, string> = {
    HANGAR_NODE_RANK: String(rank),
    HANGAR_NODE_COUNT: String(hosts.length),
    HANGAR_PROCESSES_PER_NODE: String(perNode),
    AZ_BATCH_HOST_LIST: hosts.join(','),
    AZ_BATCHAI_MPI_MASTER_NODE: hosts[0] ?? '',
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
  if (d.type === 'tensorflow') {
    const workers = hosts.map((h, i) => `${h}:${port + 1 + i}`);
    base.TF_CONFIG = JSON.stringify({ cluster: { worker: workers }, task: { type: 'worker', index: rank } });
  }
  return base;
}

/**
 * The per-process variables: set by the node's launcher for local rank `localRank`
 * (RANK = NODE_RANK × processes per node + LOCAL_RANK).
 */
export function processEnv(d: Distribution, nodeRank: number, localRank: number): Record<string, string> {
  const perNode = d.type === 'tensorflow' ? 1 : d.processCountPerInstance;
  const rank = String(nodeRank * perNode + localRank);
  const env: Record<string, string> = {
    RANK: rank,
    LOCAL_RANK: String(localRank),
    LOCAL_WORLD_SIZE: String(perNode),
  };
  if (d.type === 'mpi')
    Object.assign(env, {
      OMPI_COMM_WORLD_RANK: rank,
      OMPI_COMM_WORLD_LOCAL_RANK: String(localRank),
      PMI_RANK: rank,
    });
  return env;
}

/**
 * The command a node of a multi-node job runs: the user's command itself for one process per
 * node, else a launcher starting that many copies with their RANK/LOCAL_RANK that stops them all
 * as soon as one fails (the user's command travels in HANGAR_USER_COMMAND, unquoted).
 */
export function nodeCommand(
  d: Distribution,
  userCommand: string,
): { command: string; env: Record<string, string> } {
  const perNode = d.type === 'tensorflow' ? 1 : d.processCountPerInstance;
  if (perNode === 1) return { command: userCommand, env: {} };
  const mpi = d.type === 'mpi' ? ' OMPI_COMM_WORLD_RANK=$r OMPI_COMM_WORLD_LOCAL_RANK=$lr PMI_RANK=$r' : '';
  // Polls rather than `wait -n`, whose 127 for "no child left" cannot be told from a real exit 127.
  const launcher = [
    `P=${perNode}; pids=()`,
    `for ((lr=0; lr<P; lr++)); do r=$((NODE_RANK*P+lr)); (export LOCAL_RANK=$lr RANK=$r LOCAL_WORLD_SIZE=$P${mpi}; exec /bin/bash -c "$HANGAR_USER_COMMAND") & pids+=($!); done`,
    'status=0; left=$P',
    'while [ $left -gt 0 ]; do',
    '  for i in "${!pids[@]}"; do',
    '    p=${pids[$i]}',
    '    if [ -z "$p" ] || kill -0 "$p" 2>/dev/null; then continue; fi',
    '    wait "$p"; s=$?; pids[$i]=""; left=$((left-1))',
    '    if [ $s -ne 0 ] && [ $status -eq 0 ]; then status=$s; kill ${pids[@]} 2>/dev/null; fi',
    '  done',
    '  [ $left -gt 0 ] && sleep 0.05',
    'done',
    'exit $status',
  ].join('\n');
  return { command: launcher, env: { HANGAR_USER_COMMAND: userCommand } };
}
