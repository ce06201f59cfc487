import { installAgent, nodesFolder } from '../ssh/agent-install.js';
import { SshConnection, type SshTarget } from '../ssh/ssh-connection.js';
import type { CommandResult, SlurmCommands } from './slurm-commands.js';

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Slurm on a login node reached over SSH: each command runs there (with SLURM_CONF when given);
 * the agent is installed in the login user's home, which Slurm's nodes are expected to share.
 */
export class SshSlurmCommands implements SlurmCommands {
  readonly where: string;

  constructor(private readonly target: () => Promise<SshTarget>, login: string, private readonly slurmConf: string | undefined, private readonly bundleDir: string) {
    this.where = `login node ${login}${slurmConf ? ` (SLURM_CONF=${slurmConf})` : ''}`;
  }

  private async session<T>(work: (c: SshConnection) => Promise<T>): Promise<T> {
    return SshConnection.using(await this.target(), work);
  }

  async run(command: string, args: string[], input?: string, signal?: AbortSignal): Promise<CommandResult> {
    signal?.throwIfAborted();
    const line = `${this.slurmConf ? `SLURM_CONF=${quote(this.slurmConf)} ` : ''}${[command, ...args].map(quote).join(' ')}`;
    return this.session((c) => c.exec(line, input));
  }

  async agentSetup(scope: string): Promise<{ agent: string[]; nodesDir: string }> {
    return this.session(async (c) => {
      const home = (await c.exec('cd && pwd')).stdout.trim();
      const dir = await installAgent(c, this.bundleDir);
      return { agent: ['node', `${home}/${dir}/dist/cli/main.js`], nodesDir: `${home}/${nodesFolder(scope)}` };
    });
  }
}
