import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  closeSync,
} from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NodeProvisionRequest, Provider, ProviderNode } from '../provider.js';
import { fromSystemError, ProviderError } from '../provider-errors.js';
import {
  gpuInventoryArgs,
  grantGpus,
  parseGpuInventory,
  parseGpuList,
  type GpuDevice,
  type GpuHolding,
} from '../../domain/nodes/gpu-assignment.js';

/** Where the built CLI lives, so the provider can start `hangar agent` with the same code. */
const cliMain = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

function alive(pid: number, nodeId: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // Guard against pid reuse: the process must be this node's agent.
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(nodeId);
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The embedded default: a node is a `hangar agent` process on the server's host with its own
 * working directory under HANGAR_HOME/nodes/<id>. Agents are started detached in their own
 * process group so a server restart (even kill -9) leaves them and their jobs running.
 */
export class LocalProvider implements Provider {
  readonly name = 'local';

  constructor(
    private readonly nodesDir: string,
    private readonly env: Record<string, string | undefined>,
    /** The `hangar` entry point agents run (tests running from source point it at the build). */
    private readonly agentEntry: string = cliMain,
  ) {
    mkdirSync(nodesDir, { recursive: true, mode: 0o700 });
  }

  private dir(nodeId: string): string {
    return join(this.nodesDir, nodeId);
  }

  private pid(nodeId: string): number | undefined {
    const file = join(this.dir(nodeId), 'agent.pid');
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  describe(nodeId: string, signal?: AbortSignal): Promise<ProviderNode> {
    signal?.throwIfAborted();
    const pid = this.pid(nodeId);
    const running = pid !== undefined && alive(pid, nodeId);
    return Promise.resolve({
      nodeId,
      ref: pid === undefined ? '' : String(pid),
      state: running ? 'running' : 'gone',
    });
  }

  async provision(req: NodeProvisionRequest, signal?: AbortSignal): Promise<ProviderNode> {
    const existing = await this.describe(req.nodeId, signal);
    if (existing.state === 'running') return existing;
    // One grant at a time: two nodes started together must not both take the same free GPU.
    const run = this.starting.then(() => this.startWithGpus(req));
    this.starting = run.catch(() => undefined);
    return run;
  }

  private starting: Promise<unknown> = Promise.resolve();

  /** The host's GPUs (nvidia-smi on the agents' PATH); none without nvidia-smi. */
  hostGpus(): GpuDevice[] {
    const smi = (this.env.PATH ?? '')
      .split(delimiter)
      .map((d) => join(d, 'nvidia-smi'))
      .find((f) => existsSync(f));
    if (!smi) return [];
    try {
      return parseGpuInventory(execFileSync(smi, gpuInventoryArgs, { encoding: 'utf8', timeout: 10_000 }));
    } catch {
      return [];
    }
  }

  /** GPUs held by this host's running nodes (each node's `gpus` file, written when it was started). */
  gpuHoldings(): GpuHolding[] {
    if (!existsSync(this.nodesDir)) return [];
    return readdirSync(this.nodesDir).flatMap((nodeId) => {
      const file = join(this.dir(nodeId), 'gpus');
      const pid = this.pid(nodeId);
      if (!existsSync(file) || pid === undefined || !alive(pid, nodeId)) return [];
      try {
        return [{ nodeId, indices: parseGpuList(readFileSync(file, 'utf8')) }];
      } catch {
        return [];
      }
    });
  }

  /**
   * Starts the agent with its share of the host's GPUs (`--gpus`): a size with GPUs gets its own,
   * a size without gets none of them; a size the host cannot serve now is refused with the reason.
   */
  private async startWithGpus(req: NodeProvisionRequest): Promise<ProviderNode> {
    const host = this.hostGpus();
    const wanted = req.gpus ?? 0;
    let gpuArgs: string[] = [];
    if (host.length > 0 || wanted > 0) {
      const grant = grantGpus({
        host,
        held: this.gpuHoldings(),
        wanted,
        ...(req.vmSize ? { sizeName: req.vmSize } : {}),
      });
      if (grant.kind === 'refuse')
        throw new ProviderError(grant.lasting ? 'refused' : 'capacity', grant.reason);
      const list = grant.indices.length === 0 ? 'none' : grant.indices.join(',');
      gpuArgs = ['--gpus', list];
      mkdirSync(this.dir(req.nodeId), { recursive: true, mode: 0o700 });
      writeFileSync(join(this.dir(req.nodeId), 'gpus'), list);
    }
    try {
      return await this.start({ ...req, agentArgs: [...(req.agentArgs ?? []), ...gpuArgs] });
    } catch (err) {
      // A full disk or no processes left is `capacity`; a folder it may not write is `refused` (see fromSystemError).
      throw fromSystemError(err, `could not start the agent for node ${req.nodeId}`);
    }
  }

  private async start(req: NodeProvisionRequest): Promise<ProviderNode> {
    const dir = this.dir(req.nodeId);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // The one-time token goes through a 0600 file the agent reads and deletes: a command line is visible to every user (ps).
    const tokenFile = join(dir, 'agent-token');
    rmSync(tokenFile, { force: true });
    writeFileSync(tokenFile, req.nodeToken, { mode: 0o600, flag: 'wx' });
    const log = openSync(join(dir, 'agent.log'), 'a');
    const args = [
      this.agentEntry,
      'agent',
      '--server',
      req.serverUrl,
      '--token-file',
      tokenFile,
      '--work-dir',
      dir,
      '--slots',
      String(req.slots),
      '--node-id',
      req.nodeId,
      ...(req.agentArgs ?? []),
    ];
    const child = spawn(process.execPath, args, {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...this.env, HANGAR_NODE_ID: req.nodeId },
    });
    closeSync(log);
    // A spawn that fails (EAGAIN, ENOMEM, ENOENT) says so in an 'error' event, with the system's code.
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    writeFileSync(join(dir, 'agent.pid'), String(child.pid));
    child.unref();
    return { nodeId: req.nodeId, ref: String(child.pid), state: 'running' };
  }

  /** SIGTERM the agent's process group (agent, shims and jobs), SIGKILL after a grace period. */
  async terminate(nodeId: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const pid = this.pid(nodeId);
    if (pid !== undefined && alive(pid, nodeId)) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      // A cancelled wait skips the grace period, never the kill: terminate always leaves nothing running.
      for (let i = 0; i < 50 && alive(pid, nodeId) && !signal?.aborted; i++) await sleep(100);
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    this.killOrphanJobs(nodeId);
    this.killTaggedProcesses(nodeId);
    this.removeWorkFiles(nodeId);
  }

  /** A released node's disk goes with it, as a deleted VM's does; only agent.log stays, for post-mortems. */
  private removeWorkFiles(nodeId: string): void {
    const dir = this.dir(nodeId);
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir))
      if (entry !== 'agent.log') rmSync(join(dir, entry), { recursive: true, force: true });
  }

  /** Job process groups the agent recorded; they outlive an agent killed with SIGKILL. */
  private killOrphanJobs(nodeId: string): void {
    const file = join(this.dir(nodeId), 'job-pgids');
    if (!existsSync(file)) return;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const pgid = Number(line.trim());
      if (!Number.isInteger(pgid) || pgid <= 1) continue;
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    rmSync(file, { force: true });
  }

  /**
   * Every process still carrying this node's HANGAR_NODE_ID (agents pass it to their jobs): the
   * safety net for a job started in the instant between its spawn and the agent recording its group.
   */
  private killTaggedProcesses(nodeId: string): void {
    const tag = `HANGAR_NODE_ID=${nodeId}\0`;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
      try {
        if (readFileSync(`/proc/${entry}/environ`, 'utf8').includes(tag))
          process.kill(Number(entry), 'SIGKILL');
      } catch {
        /* gone, or not ours to read */
      }
    }
  }

  async list(signal?: AbortSignal): Promise<ProviderNode[]> {
    signal?.throwIfAborted();
    const ids = existsSync(this.nodesDir) ? readdirSync(this.nodesDir) : [];
    const nodes = await Promise.all(ids.map((id) => this.describe(id)));
    return nodes.filter((n) => n.state === 'running');
  }
}
