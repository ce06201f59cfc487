import { describe, expect, it } from 'vitest';
import { SlurmProvider, gresArgs } from './slurm-provider.js';
import type { CommandResult, SlurmCommands } from './slurm-commands.js';

/** Records what would run on the cluster and answers as sbatch does. */
class RecordingCommands implements SlurmCommands {
  readonly where = 'recorded';
  readonly calls: { command: string; args: string[] }[] = [];
  run(command: string, args: string[]): Promise<CommandResult> {
    this.calls.push({ command, args });
    return Promise.resolve({ code: 0, stdout: command === 'sbatch' ? '123\n' : '', stderr: '' });
  }
  agentSetup(_scope: string, nodesDir: string, agent: string[]) {
    return Promise.resolve({ agent, nodesDir });
  }
}

describe('Slurm allocations ask for the size’s GPUs', () => {
  it('adds --gres=gpu:<n> only for sizes with GPUs', () => {
    expect(gresArgs(4)).toEqual(['--gres=gpu:4']);
    expect(gresArgs(0)).toEqual([]);
    expect(gresArgs(undefined)).toEqual([]);
  });

  it('passes it to sbatch for a GPU size, and not for a CPU size', async () => {
    const commands = new RecordingCommands();
    const provider = new SlurmProvider(
      'slurm:gpu',
      commands,
      { partition: 'gpu' },
      '/tmp/hangar-slurm-gres-test',
    );
    const req = { nodeToken: 't', serverUrl: 'http://x', computeName: 'c', slots: 1 };
    await provider.provision({ ...req, nodeId: 'n1', gpus: 2, vmSize: 'Standard_NC12' });
    await provider.provision({ ...req, nodeId: 'n2', gpus: 0 });
    const sbatch = commands.calls.filter((c) => c.command === 'sbatch').map((c) => c.args);
    expect(sbatch[0]).toContain('--gres=gpu:2');
    expect(sbatch[1]?.some((a) => a.startsWith('--gres'))).toBe(false);
  });
});
