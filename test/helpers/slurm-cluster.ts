import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot, tempDir, waitFor } from './processes.js';
import { api } from './server-process.js';

/** A real single-host Slurm cluster in a temp folder (scripts/slurm-cluster.sh) with `nodes` slurmd nodes. */
export interface SlurmCluster {
  /** Its slurm.conf, for `hangar compute attach --type slurm --slurm-conf`. */
  conf: string;
  stop(): void;
}

const script = join(repoRoot, 'scripts', 'slurm-cluster.sh');

export function startSlurmCluster(prefix: string, nodes: number): SlurmCluster {
  const dir = tempDir(prefix);
  const conf = execFileSync('bash', [script, 'start', dir, String(nodes)], { encoding: 'utf8' }).trim();
  return { conf, stop: () => execFileSync('bash', [script, 'stop', dir]) };
}

/** Detaches a compute and waits (up to 30 s) until it is gone, so its allocations end before Slurm stops. */
export async function detachCompute(url: string, name: string): Promise<void> {
  const path = `/api/workspaces/default/computes/${name}`;
  await api(url, 'DELETE', path);
  await waitFor(
    async () => (await api(url, 'GET', path)).status === 404,
    `${name} to be detached`,
    30_000,
  ).catch(() => undefined);
}
