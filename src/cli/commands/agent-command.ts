import { Option, type Command } from 'commander';
import { inheritedEnv } from '../../config/inherited-env.js';
import type { AgentOptions } from '../../agent/agent-options.js';
import { parseGpuList } from '../../domain/nodes/gpu-assignment.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--slots must be a positive integer, got '${value}'`);
  return n;
}

/** `hangar agent`: the node program, started by a provider (or by hand on any machine). */
export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description('Run the node agent: connects out to the server, runs the jobs it is given')
    .requiredOption('--server <url>', 'server URL')
    .option(
      '--token-file <path>',
      'file holding the one-time node token (read and deleted at start; needed until the node has a session)',
    )
    // Kept for agents started by hand: a token on the command line is visible to every local user (ps).
    .addOption(
      new Option('--token <token>', 'one-time node token (visible in ps: prefer --token-file)').hideHelp(),
    )
    .option('--work-dir <dir>', 'working directory of this node', '.hangar-node')
    .option('--slots <n>', 'parallel job attempts (default: cores)', positiveInt)
    .option('--node-id <id>', 'node id (for process listings)')
    .option('--pip-find-links <dir>', 'wheel folder for system-managed environments (pip --no-index)')
    .option('--pip-index-url <url>', 'package index for system-managed environments')
    .option('--python <path>', 'interpreter for user-managed jobs')
    .option(
      '--gpus <list>',
      "the host's GPUs this node holds, as nvidia-smi indices (0,2) or none (default: every GPU found)",
    )
    .option(
      '--protect <dir>',
      "a folder jobs must not see besides the agent's own (repeatable; hidden by the bubblewrap sandbox)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      '--job-user <name>',
      'OS user jobs run as when the agent runs as root (default: hangar-job, else nobody)',
    )
    .option(
      '--job-env <name>',
      "a variable of this agent's environment that jobs also get (repeatable; none by default)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      '--insecure-no-sandbox',
      "where bubblewrap cannot be used, run jobs unsandboxed instead of refusing them (they can read what this agent's user can)",
    )
    .option(
      '--slurm',
      'runs inside a Slurm allocation: SIGTERM means preemption or requeue (jobs checkpoint and go back to the queue)',
    )
    .option(
      '--instance-dir <dir>',
      'run as a compute instance: its lasting folder (home, SSH host key, setup log)',
    )
    .option('--jupyter-command <cmd>', 'Jupyter Notebook executable for instances', 'jupyter-notebook')
    .action(
      async (o: {
        server: string;
        token?: string;
        tokenFile?: string;
        workDir: string;
        slots?: number;
        nodeId?: string;
        pipFindLinks?: string;
        pipIndexUrl?: string;
        python?: string;
        instanceDir?: string;
        jupyterCommand: string;
        protect?: string[];
        slurm?: boolean;
        jobUser?: string;
        insecureNoSandbox?: boolean;
        jobEnv?: string[];
        gpus?: string;
      }) => {
        const options: AgentOptions = { server: o.server, workDir: o.workDir };
        if (o.tokenFile) options.tokenFile = o.tokenFile;
        if (o.token) options.token = o.token;
        if (o.jobUser) options.jobUser = o.jobUser;
        if (o.insecureNoSandbox) options.insecureNoSandbox = true;
        if (o.jobEnv) options.jobEnv = o.jobEnv;
        if (o.slots !== undefined) options.slots = o.slots;
        if (o.nodeId) options.nodeId = o.nodeId;
        if (o.pipFindLinks) options.pipFindLinks = o.pipFindLinks;
        if (o.pipIndexUrl) options.pipIndexUrl = o.pipIndexUrl;
        if (o.python) options.python = o.python;
        if (o.gpus !== undefined) options.gpus = parseGpuList(o.gpus);
        if (o.protect) options.protect = o.protect;
        if (o.slurm) options.slurm = true;
        if (o.instanceDir) options.instance = { dir: o.instanceDir, jupyterCommand: o.jupyterCommand };
        // Loaded here, not at the top: every other command starts without the agent (ws, ssh2, sandboxes).
        const { Agent } = await import('../../agent/agent.js');
        const agent = new Agent(options, inheritedEnv());
        const shutdown = (signal: string): void => {
          void agent.stop(`received ${signal}`).then(() => process.exit(0));
        };
        // In a Slurm allocation SIGTERM is Slurm taking it back (preemption, requeue, scancel).
        process.on('SIGTERM', () =>
          options.slurm
            ? void agent.preempted('Slurm ended or requeued the allocation').then(() => process.exit(0))
            : shutdown('SIGTERM'),
        );
        process.on('SIGINT', () => shutdown('SIGINT'));
        await agent.start();
      },
    );
}
