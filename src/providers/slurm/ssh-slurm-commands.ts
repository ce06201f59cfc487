import { installAgent, nodesFolder, remoteFailure } from '../ssh/agent-install.js';
import { loginDetails, SshConnection, type SshTarget } from '../ssh/ssh-connection.js';
import type { CommandResult, SlurmCommands } from './slurm-commands.js';

/**
 * Slurm on a login node reached over SSH: each command runs there (with SLURM_CONF when given);
 * the agent is installed in the login user's home, which Slurm's nodes are expected to share.
 */
export class SshSlurmCommands implements SlurmCommands {
  readonly where: string;

  constructor(
    private readonly target: () => Promise<SshTarget>,
    login: string,
    private readonly slurmConf: string | undefined,
    private readonly bundleDir: string,
  ) {
    this.where = `login node ${login}${slurmConf ? ` (SLURM_CONF=${slurmConf})` : ''}`;
  }

  private async session<T>(work: (c: SshConnection) => Promise<T>): Promise<T> {
    return SshConnection.using(await loginDetails(this.target), work);
  }

  async run(command: string, args: string[], input?: string, signal?: AbortSignal): Promise<CommandResult> {
    signal?.throwIfAborted();
    // `env` sets SLURM_CONF for the one command: the whole line is an argv, nothing pasted into a shell string.
    const argv = this.slurmConf
      ? ['env', `SLURM_CONF=${this.slurmConf}`, command, ...args]
      : [command, ...args];
    return this.session((c) => c.exec(argv, input));
  }

  async agentSetup(scope: string): Promise<{ agent: string[]; nodesDir: string }> {
    return this.session(async (c) => {
      const pwd = await c.exec(['sh', '-c', 'cd && pwd']);
      const home = pwd.stdout.trim();
      if (pwd.code !== 0 || !home.startsWith('/'))
        throw remoteFailure(`finding the home folder on ${this.where} failed`, pwd);
      const dir = await installAgent(c, this.bundleDir);
      return {
        agent: ['node', `${home}/${dir}/dist/cli/main.js`],
        nodesDir: `${home}/${nodesFolder(scope)}`,
      };
    });
  }
}
