import { spawn } from 'node:child_process';

/** The result of one Slurm command. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs Slurm's commands (`sbatch`, `squeue`, `scancel`, `sinfo`) somewhere: here, or on a login node. */
export interface SlurmCommands {
  /** Where the commands run, for messages ("this host (SLURM_CONF=…)", "login node u@h"). */
  readonly where: string;
  run(command: string, args: string[], input?: string, signal?: AbortSignal): Promise<CommandResult>;
  /** How Slurm's nodes start the agent, and where node folders live (on the cluster's file system). */
  agentSetup(
    scope: string,
    localNodesDir: string,
    localAgent: string[],
  ): Promise<{ agent: string[]; nodesDir: string }>;
}

/** Slurm on the server's host, optionally with its own SLURM_CONF. */
export class LocalSlurmCommands implements SlurmCommands {
  readonly where: string;
  constructor(
    private readonly env: Record<string, string | undefined>,
    private readonly slurmConf?: string,
  ) {
    this.where = slurmConf ? `this host (SLURM_CONF=${slurmConf})` : 'this host';
  }

  /** Slurm's nodes share this host's file system: the agent and folders are the server's own. */
  agentSetup(
    _scope: string,
    localNodesDir: string,
    localAgent: string[],
  ): Promise<{ agent: string[]; nodesDir: string }> {
    return Promise.resolve({ agent: localAgent, nodesDir: localNodesDir });
  }

  run(command: string, args: string[], input?: string, signal?: AbortSignal): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const env = { ...this.env, ...(this.slurmConf ? { SLURM_CONF: this.slurmConf } : {}) };
      const child = spawn(command, args, {
        env,
        stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        ...(signal ? { signal } : {}),
      });
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      // A cancelled call rejects with the signal's reason; a command that cannot start (ENOENT) answers 127 and why.
      child.on('error', (err) =>
        signal?.aborted
          ? reject(signal.reason as Error)
          : resolve({ code: 127, stdout, stderr: `${stderr}${err.message}` }),
      );
      child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
      if (child.stdin) {
        // A command that exits without reading its input must not crash the server with EPIPE.
        child.stdin.on('error', () => undefined);
        child.stdin.end(input);
      }
    });
  }
}
