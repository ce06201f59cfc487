import { fileURLToPath } from 'node:url';
import { commandLine, shellQuote } from '../../domain/shell.js';
import type { NodeProvisionRequest, PathProbe, Provider, ProviderNode } from '../provider.js';
import { parsePathProbes, probePathsScript } from '../path-probe.js';
import type { SlurmCommands } from './slurm-commands.js';
import { slurmFailure } from './slurm-errors.js';

const cliMain = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

/** Where and how a Slurm-backed compute asks for allocations. */
export interface SlurmPlacement {
  partition: string;
  qos?: string;
  account?: string;
  /** CPUs per allocation (the node's slots). */
  cpusPerNode?: number;
}

const JOB_PREFIX = 'hangar-';

/** The generic resources an allocation asks for: the VM size's GPUs (Slurm binds them and sets CUDA_VISIBLE_DEVICES). */
export function gresArgs(gpus: number | undefined): string[] {
  return gpus && gpus > 0 ? [`--gres=gpu:${gpus}`] : [];
}

/**
 * Nodes as Slurm allocations: each node is a one-node batch job (`sbatch`) whose step is
 * `hangar agent`; terminating it is `scancel`. Jobs are named `hangar-<node id>` and carry this
 * provider's tag in their comment, so `list` finds exactly this compute's allocations.
 */
export class SlurmProvider implements Provider {
  constructor(
    readonly name: string,
    private readonly commands: SlurmCommands,
    private readonly placement: SlurmPlacement,
    /** Working folders of nodes (on a file system the Slurm nodes share with this host). */
    private readonly nodesDir: string,
    private readonly agentEntry: string = cliMain,
  ) {}

  private setup: Promise<{ agent: string[]; nodesDir: string }> | undefined;

  /** The agent command and node folders on the cluster (installed over SSH for a login node; once). */
  private agentSetup(): Promise<{ agent: string[]; nodesDir: string }> {
    this.setup ??= this.commands
      .agentSetup(this.name.replace(/^slurm:/, ''), this.nodesDir, [process.execPath, this.agentEntry])
      .catch((err: unknown) => {
        this.setup = undefined;
        throw err;
      });
    return this.setup;
  }

  /** Where paths are checked, for messages: the login node (or this host) that submits the allocations. */
  get where(): string {
    return this.commands.where;
  }

  /**
   * What the cluster's user finds at each absolute path, asked where Slurm's commands run (the
   * login node, or this host): its nodes share that file system (the agent is installed there too).
   */
  async probePaths(paths: string[], signal?: AbortSignal): Promise<PathProbe[]> {
    signal?.throwIfAborted();
    if (paths.length === 0) return [];
    const r = await this.commands.run('sh', ['-c', probePathsScript, 'sh', ...paths], undefined, signal);
    if (r.code !== 0) throw slurmFailure('checking paths', r, this.commands.where);
    return parsePathProbes(paths, r.stdout);
  }

  /** Checks the partition (and QOS) can take jobs, answering Slurm's own words when not. */
  async verify(signal?: AbortSignal): Promise<void> {
    const args = [
      '--test-only',
      '--parsable',
      '-p',
      this.placement.partition,
      ...this.extraArgs(),
      '--nodes=1',
      `--cpus-per-task=${this.placement.cpusPerNode ?? 1}`,
      '--wrap',
      'true',
    ];
    const r = await this.commands.run('sbatch', args, undefined, signal);
    if (r.code !== 0) throw slurmFailure('sbatch --test-only', r, this.commands.where);
  }

  private extraArgs(): string[] {
    return [
      ...(this.placement.qos ? ['--qos', this.placement.qos] : []),
      ...(this.placement.account ? ['--account', this.placement.account] : []),
    ];
  }

  private script(req: NodeProvisionRequest, dir: string, agentCommand: string[]): string {
    const agent = [
      ...agentCommand,
      'agent',
      '--server',
      req.serverUrl,
      '--token-file',
      `${dir}/agent-token`,
      '--work-dir',
      dir,
      '--slots',
      String(req.slots),
      '--node-id',
      req.nodeId,
      '--slurm',
      ...(req.agentArgs ?? []),
    ];
    // A batch script must be a script: its variable parts go in only through the quoting helper.
    return [
      '#!/bin/bash',
      `export HANGAR_NODE_ID=${shellQuote(req.nodeId)}`,
      `exec ${commandLine(agent)}`,
      '',
    ].join('\n');
  }

  async provision(req: NodeProvisionRequest, signal?: AbortSignal): Promise<ProviderNode> {
    const existing = await this.describe(req.nodeId, signal);
    if (existing.state === 'running') return existing;
    const { agent, nodesDir } = await this.agentSetup();
    const dir = `${nodesDir}/${req.nodeId}`;
    // The node's folder and its one-time token in one command (one round trip to a login node). The
    // token goes on stdin into a 0600 file on the shared file system, which the agent reads and
    // deletes: neither the batch script (kept by Slurm) nor a command line (ps) carries it.
    const saved = await this.commands.run(
      'sh',
      ['-c', 'mkdir -p "$1" && umask 077 && rm -f "$2" && cat > "$2"', 'sh', dir, `${dir}/agent-token`],
      req.nodeToken,
      signal,
    );
    if (saved.code !== 0) throw slurmFailure('preparing the node folder', saved, this.commands.where);
    const args = [
      '--parsable',
      `--job-name=${JOB_PREFIX}${req.nodeId}`,
      `--comment=${this.name}`,
      '-p',
      this.placement.partition,
      ...this.extraArgs(),
      '--nodes=1',
      '--ntasks=1',
      `--cpus-per-task=${this.placement.cpusPerNode ?? 1}`,
      ...gresArgs(req.gpus),
      '--requeue',
      `--output=${dir}/agent.log`,
      '--open-mode=append',
    ];
    const r = await this.commands.run('sbatch', args, this.script(req, dir, agent), signal);
    if (r.code !== 0) throw slurmFailure('sbatch', r, this.commands.where);
    const jobId = r.stdout.trim().split(';')[0] ?? '';
    return { nodeId: req.nodeId, ref: jobId, state: 'running' };
  }

  /**
   * This provider's allocations as squeue sees them (pending and running count as running); with
   * `nodeId`, only that node's (squeue filters by name itself: a busy cluster's queue is long).
   */
  private async queue(
    signal?: AbortSignal,
    nodeId?: string,
  ): Promise<{ jobId: string; nodeId: string; state: string }[]> {
    const only = nodeId === undefined ? [] : [`--name=${JOB_PREFIX}${nodeId}`];
    const r = await this.commands.run('squeue', ['-h', ...only, '-o', '%i|%j|%T|%k'], undefined, signal);
    if (r.code !== 0) throw slurmFailure('squeue', r, this.commands.where);
    return r.stdout
      .split('\n')
      .map((l) => l.trim().split('|'))
      .filter((p) => p.length === 4 && p[1]?.startsWith(JOB_PREFIX) && p[3] === this.name)
      .map(([jobId = '', name = '', state = '']) => ({
        jobId,
        nodeId: name.slice(JOB_PREFIX.length),
        state,
      }));
  }

  async describe(nodeId: string, signal?: AbortSignal): Promise<ProviderNode> {
    const job = (await this.queue(signal, nodeId)).find(
      (j) =>
        j.nodeId === nodeId &&
        !/^(COMPLETED|CANCELLED|FAILED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE)/.test(j.state),
    );
    return { nodeId, ref: job?.jobId ?? '', state: job ? 'running' : 'gone' };
  }

  async list(signal?: AbortSignal): Promise<ProviderNode[]> {
    return (await this.queue(signal))
      .filter((j) => !/^(COMPLETED|CANCELLED|FAILED|TIMEOUT)/.test(j.state))
      .map((j) => ({ nodeId: j.nodeId, ref: j.jobId, state: 'running' as const }));
  }

  /** `scancel` by name (idempotent: nothing to cancel is fine); the node's folder goes, its log stays. */
  async terminate(nodeId: string, signal?: AbortSignal): Promise<void> {
    const r = await this.commands.run('scancel', ['--name', `${JOB_PREFIX}${nodeId}`], undefined, signal);
    if (r.code !== 0) throw slurmFailure('scancel', r, this.commands.where);
    for (let i = 0; i < 50 && (await this.describe(nodeId, signal)).state === 'running'; i++)
      await new Promise((res) => setTimeout(res, 100));
    const dir = `${(await this.agentSetup()).nodesDir}/${nodeId}`;
    await this.commands.run(
      'rm',
      ['-rf', `${dir}/jobs`, `${dir}/envs`, `${dir}/session.json`, `${dir}/agent-token`],
      undefined,
      signal,
    );
  }
}
