import type { NodeProvisionRequest, Provider, ProviderNode } from '../provider.js';
import { installAgent, nodesFolder } from './agent-install.js';
import { SshConnection, SshError, type SshTarget } from './ssh-connection.js';


const MIN_NODE_MAJOR = 20;

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

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

  private async session<T>(work: (c: SshConnection) => Promise<T>): Promise<T> {
    return SshConnection.using(await this.target(), work);
  }

  /**
   * Checks the machine can host a node: reachable, credentials accepted, host key as pinned, and
   * Node.js 20 or later. Answers the host key fingerprint to pin.
   */
  async verify(): Promise<{ hostKey: string; node: string }> {
    return this.session(async (c) => {
      const r = await c.exec('node --version');
      const version = r.stdout.trim();
      const major = Number(/^v(\d+)/.exec(version)?.[1] ?? 0);
      if (r.code !== 0 || major < MIN_NODE_MAJOR) {
        throw new SshError('command', `the machine needs Node.js ${MIN_NODE_MAJOR} or later on the PATH of '${(await this.target()).username}' to run the Hangar agent; ${r.code !== 0 ? `\`node --version\` failed: ${(r.stderr || r.stdout).trim() || `exit code ${r.code}`}` : `found ${version}`}.`);
      }
      return { hostKey: c.hostKey, node: version };
    });
  }

  async provision(req: NodeProvisionRequest, signal?: AbortSignal): Promise<ProviderNode> {
    signal?.throwIfAborted();
    const existing = await this.describe(req.nodeId);
    if (existing.state === 'running') return existing;
    return this.session(async (c) => {
      const dir = await installAgent(c, this.bundleDir);
      const work = `${this.nodesDir}/${req.nodeId}`;
      const args = ['node', `$HOME/${dir}/dist/cli/main.js`, 'agent', '--server', req.serverUrl, '--token-file', `$HOME/${work}/agent-token`, '--work-dir', `$HOME/${work}`, '--slots', String(req.slots), '--node-id', req.nodeId, ...(req.agentArgs ?? [])];
      // The one-time token arrives on stdin into a 0600 file the agent reads and deletes: never on a command line (ps).
      // The agent is its own session (setsid), detached from this SSH command; its pid is kept for describe/terminate.
      const cmd = `mkdir -p ${work} && chmod 700 ${work} && cd ${work} && (umask 077 && rm -f agent-token && cat > agent-token) && { HANGAR_NODE_ID=${quote(req.nodeId)} setsid nohup ${args.map((a) => (a.startsWith('$HOME') ? `"${a}"` : quote(a))).join(' ')} >> agent.log 2>&1 < /dev/null & } && echo $! > agent.pid && cat agent.pid`;
      const r = await c.exec(`cd && ${cmd}`, req.nodeToken);
      if (r.code !== 0) throw new SshError('command', `starting the agent failed: ${(r.stderr || r.stdout).trim()}`);
      return { nodeId: req.nodeId, ref: r.stdout.trim(), state: 'running' as const };
    });
  }

  async describe(nodeId: string, signal?: AbortSignal): Promise<ProviderNode> {
    signal?.throwIfAborted();
    const r = await this.session((c) => c.exec(`cd && pid=$(cat ${this.nodesDir}/${nodeId}/agent.pid 2>/dev/null) && kill -0 "$pid" 2>/dev/null && echo "$pid"`));
    const pid = r.stdout.trim();
    return { nodeId, ref: pid, state: r.code === 0 && pid ? 'running' : 'gone' };
  }

  async list(signal?: AbortSignal): Promise<ProviderNode[]> {
    signal?.throwIfAborted();
    const r = await this.session((c) => c.exec(`cd && for f in ${this.nodesDir}/*/agent.pid; do [ -f "$f" ] || continue; p=$(cat "$f"); kill -0 "$p" 2>/dev/null && echo "$(basename $(dirname "$f")) $p"; done; true`));
    return r.stdout.split('\n').map((l) => l.trim().split(' ')).filter((p) => p.length === 2).map(([nodeId = '', ref = '']) => ({ nodeId, ref, state: 'running' as const }));
  }

  /** Stops the agent's process group (its jobs too) and removes the node's folder but its log. */
  async terminate(nodeId: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const work = `${this.nodesDir}/${nodeId}`;
    await this.session((c) => c.exec(`cd && if [ -f ${work}/agent.pid ]; then p=$(cat ${work}/agent.pid); kill -TERM -"$p" 2>/dev/null; for i in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; kill -KILL -"$p" 2>/dev/null; fi; for g in $(cat ${work}/job-pgids 2>/dev/null); do kill -KILL -"$g" 2>/dev/null; done; [ -d ${work} ] && find ${work} -mindepth 1 -maxdepth 1 ! -name agent.log -exec rm -rf {} +; true`));
  }
}
