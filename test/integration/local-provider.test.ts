import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalProvider } from '../../src/providers/local/local-provider.js';
import { describeProviderContract } from '../../src/providers/provider-contract.js';
import { alive } from '../helpers/job-fixtures.js';
import { childEnv, cliPath, tempDir, waitFor } from '../helpers/processes.js';

// Agents point at a port nothing listens on: they keep retrying to register, which is all a
// provider needs to manage them.
const unreachableServer = 'http://127.0.0.1:1';

describeProviderContract('local', () =>
  Promise.resolve({
    provider: new LocalProvider(join(tempDir(), 'nodes'), childEnv(), cliPath),
    serverUrl: unreachableServer,
  }),
);

describe('local provider', () => {
  it('terminating a node whose agent was SIGKILLed still kills its jobs, and keeps only agent.log', async () => {
    const nodes = join(tempDir(), 'nodes');
    const provider = new LocalProvider(nodes, childEnv(), cliPath);
    const started = await provider.provision({
      nodeId: 'n-orphans',
      nodeToken: 't',
      serverUrl: unreachableServer,
      computeName: 'c',
      slots: 1,
    });
    // One job group the agent recorded, and one process it never got to record (only tagged).
    const recorded = spawn('sleep', ['60'], { detached: true, stdio: 'ignore', env: childEnv() });
    const untracked = spawn('sleep', ['61'], {
      detached: true,
      stdio: 'ignore',
      env: childEnv({ HANGAR_NODE_ID: 'n-orphans' }),
    });
    writeFileSync(join(nodes, 'n-orphans', 'job-pgids'), String(recorded.pid));
    await waitFor(
      () => readFileSync(join(nodes, 'n-orphans', 'agent.log'), 'utf8').includes('cannot reach'),
      'the agent to be running',
    );
    process.kill(Number(started.ref), 'SIGKILL');
    await waitFor(() => !alive(Number(started.ref)), 'the agent to die');
    await provider.terminate('n-orphans');
    await waitFor(
      () => !alive(recorded.pid ?? 0) && !alive(untracked.pid ?? 0),
      'both job processes to be killed',
      5000,
    );
    expect(readdirSync(join(nodes, 'n-orphans'))).toEqual(['agent.log']);
    expect(readFileSync(join(nodes, 'n-orphans', 'agent.log'), 'utf8')).toContain('cannot reach');
    expect(existsSync(join(nodes, 'n-orphans', 'agent.pid'))).toBe(false);
  });
});
