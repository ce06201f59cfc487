import type { NodeProvisionRequest, PathProbe, Provider, ProviderNode } from '../provider.js';
import { parsePathProbes, probePathsScript } from '../path-probe.js';
import {
  gpuInventoryArgs,
  gpuShortfall,
  parseGpuInventory,
  type GpuDevice,
} from '../../domain/nodes/gpu-assignment.js';
import { ProviderError } from '../provider-errors.js';
import { installAgent, nodesFolder, remoteFailure } from './agent-install.js';
import { loginDetails, SshConnection, type SshTarget } from './ssh-connection.js';

const MIN_NODE_MAJOR = 20;

// The machine's side, as constant scripts run by `sh -c SCRIPT sh ARGS…`: every variable part (a
// folder, a node id, the agent's argv) arrives as a positional parameter, never pasted into the text.

/**
 * $1: the node's folder, $2: its id, the rest: the agent's argv. The one-time token arrives on
 * stdin into a 0600 file the agent reads and deletes: never on a command line (ps). The agent is
 * its own session (setsid), detached from this SSH command; its pid is kept for describe/terminate.
 */
const START_AGENT =
  'work="$1"; node_id="$2"; shift 2; mkdir -p "$work" && chmod 700 "$work" && cd "$work" && (umask 077 && rm -f agent-token && cat > agent-token) && { HANGAR_NODE_ID="$node_id" setsid nohup "$@" >> agent.log 2>&1 < /dev/null & } && echo $! > agent.pid && cat agent.pid';
/** $1: a node's folder (relative to home); prints the agent's pid when it runs. */
const DESCRIBE = 'cd && pid=$(cat "$1/agent.pid" 2>/dev/null) && kill -0 "$pid" 2>/dev/null && echo "$pid"';
/** $1: the compute's node folders; prints `<node id> <pid>` per running agent. */
const LIST =
  'cd && for f in "$1"/*/agent.pid; do [ -f "$f" ] || continue; p=$(cat "$f"); kill -0 "$p" 2>/dev/null && echo "$(basename "$(dirname "$f")") $p"; done; true';
/** $1: a node's folder: its agent's process group (jobs too) stopped, the folder emptied but its log. */
const TERMINATE =
  'cd && w="$1"; if [ -f "$w/agent.pid" ]; then p=$(cat "$w/agent.pid"); kill -TERM -"$p" 2>/dev/null; for i in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; kill -KILL -"$p" 2>/dev/null; fi; for g in $(cat "$w/job-pgids" 2>/dev/null); do kill -KILL -"$g" 2>/dev/null; done; [ -d "$w" ] && find "$w" -mindepth 1 -maxdepth 1 ! -name agent.log -exec rm -rf {} +; true';
/**
 * An attached machine reached over SSH: Hangar installs (or updates) the agent there and runs one
 * static node as a background process of the login user. The same Provider contract as the
 * others; each call opens a short SSH connection.
 */
export class SshProvider implements Provider {
  /** Node folders of this compute only: several computes may log in to the same machine and user. */
  private readonly nodesDir: string;

  constructor(
    readonly name: string,
    /** Where and how to log in (credentials read when needed; the pinned host key included). */
    private readonly target: () => Promise<SshTarget>,
    /** Folder for the agent bundle on this host. */
    private readonly bundleDir: string,
    scope: string,
  ) {
    this.nodesDir = nodesFolder(scope);
  }

  private async session<T>(work: (c: SshConnection) => Promise<T>, timeoutMs?: number): Promise<T> {
    return SshConnection.using(await loginDetails(this.target), work, timeoutMs);
  }

  /**
   * Checks the machine can host a node: reachable, credentials accepted, host key as pinned, and
   * Node.js 20 or later; and, given a VM size, that the machine has the GPUs the size names
   * (nvidia-smi). Answers the host key fingerprint to pin and the GPUs found.
   */
  async verify(size?: {
    name: string;
    gpus: number;
  }): Promise<{ hostKey: string; node: string; gpus: GpuDevice[] }> {
    return this.session(async (c) => {
      const r = await c.exec(['node', '--version']);
      const version = r.stdout.trim();
      const major = Number(/^v(\d+)/.exec(version)?.[1] ?? 0);
      if (r.code !== 0 || major < MIN_NODE_MAJOR) {
        throw new ProviderError(
          'refused',
          `the machine needs Node.js ${MIN_NODE_MAJOR} or later on the PATH of '${(await loginDetails(this.target)).username}' to run the Hangar agent; ${r.code !== 0 ? `\`node --version\` failed: ${(r.stderr || r.stdout).trim() || `exit code ${r.code}`}` : `found ${version}`}.`,
        );
      }
      const smi = await c.exec([
        'sh',
        '-c',
        `command -v nvidia-smi >/dev/null && nvidia-smi ${gpuInventoryArgs.join(' ')}`,
      ]);
      const gpus = smi.code === 0 ? parseGpuInventory(smi.stdout) : [];
      const short = size ? gpuShortfall(gpus, size) : undefined;
      if (short) throw new ProviderError('refused', short);
      return { hostKey: c.hostKey, node: version, gpus };
    });
  }

  /**
   * What the machine's login user (the agent's, so its jobs') finds at each absolute path: how a
   * datastore folder is checked to be reachable through the machine's own mount.
   */
  async probePaths(paths: string[], signal?: AbortSignal): Promise<PathProbe[]> {
    signal?.throwIfAborted();
    if (paths.length === 0) return [];
    // Asked while a job is submitted: a machine that does not answer soon is not waited for.
    const r = await this.session((c) => c.exec(['sh', '-c', probePathsScript, 'sh', ...paths]), 5_000);
    if (r.code !== 0) throw remoteFailure('checking paths failed', r);
    return parsePathProbes(paths, r.stdout);
  }

  async provision(req: NodeProvisionRequest, signal?: AbortSignal): Promise<ProviderNode> {
    signal?.throwIfAborted();
    const existing = await this.describe(req.nodeId);
    if (existing.state === 'running') return existing;
    return this.session(async (c) => {
      const dir = await installAgent(c, this.bundleDir);
      const pwd = await c.exec(['sh', '-c', 'cd && pwd']);
      const home = pwd.stdout.trim();
      if (pwd.code !== 0 || !home.startsWith('/')) throw remoteFailure('finding the home folder failed', pwd);
      const work = `${home}/${this.nodesDir}/${req.nodeId}`;
      const agent = [
        'node',
        `${home}/${dir}/dist/cli/main.js`,
        'agent',
        '--server',
        req.serverUrl,
        '--token-file',
        `${work}/agent-token`,
        '--work-dir',
        work,
        '--slots',
        String(req.slots),
        '--node-id',
        req.nodeId,
        ...(req.agentArgs ?? []),
      ];
      const r = await c.exec(['sh', '-c', START_AGENT, 'sh', work, req.nodeId, ...agent], req.nodeToken);
      if (r.code !== 0) throw remoteFailure('starting the agent failed', r);
      return { nodeId: req.nodeId, ref: r.stdout.trim(), state: 'running' as const };
    });
  }

  async describe(nodeId: string, signal?: AbortSignal): Promise<ProviderNode> {
    signal?.throwIfAborted();
    const r = await this.session((c) => c.exec(['sh', '-c', DESCRIBE, 'sh', `${this.nodesDir}/${nodeId}`]));
    const pid = r.stdout.trim();
    return { nodeId, ref: pid, state: r.code === 0 && pid ? 'running' : 'gone' };
  }

  async list(signal?: AbortSignal): Promise<ProviderNode[]> {
    signal?.throwIfAborted();
    const r = await this.session((c) => c.exec(['sh', '-c', LIST, 'sh', this.nodesDir]));
    return r.stdout
      .split('\n')
      .map((l) => l.trim().split(' '))
      .filter((p) => p.length === 2)
      .map(([nodeId = '', ref = '']) => ({ nodeId, ref, state: 'running' as const }));
  }

  /** Stops the agent's process group (its jobs too) and removes the node's folder but its log. */
  async terminate(nodeId: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    await this.session((c) => c.exec(['sh', '-c', TERMINATE, 'sh', `${this.nodesDir}/${nodeId}`]));
  }
}
