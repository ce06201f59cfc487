import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inheritedEnv, loadCliConfig } from '../../config/config.js';
import type { HangarClient } from '../../sdk/index.js';
import { progress } from '../cli-context.js';

/**
 * Runs a job submitted to the `local` target on this machine: an agent inside this process
 * registers with the job's one-time token, takes that one job, and stops when it ends. The
 * server records, logs and tracks the job like any other. Ctrl-C cancels it.
 */
export async function runLocally(
  client: HangarClient,
  jobName: string,
  token: string,
  follow: (name: string) => Promise<string>,
): Promise<string> {
  const workDir = mkdtempSync(join(tmpdir(), 'hangar-local-'));
  const agentLog = join(workDir, 'agent.log');
  // Loaded here: only local-target runs need the agent (ws, ssh2, sandboxes); other commands start without it.
  const { Agent } = await import('../../agent/agent.js');
  const agent = new Agent(
    { server: loadCliConfig().url, token, workDir, slots: 1, embedded: true },
    inheritedEnv(),
    (line) => appendFileSync(agentLog, `${new Date().toISOString()} ${line}\n`),
  );
  progress(`[${jobName}] running on this machine (local target); working folder ${workDir}`);
  const cancel = (): void => {
    progress(`[${jobName}] canceling (Ctrl-C)`);
    void client.jobs.cancel(jobName).catch(() => undefined);
  };
  process.once('SIGINT', cancel);
  try {
    await agent.start();
    return await follow(jobName);
  } finally {
    process.removeListener('SIGINT', cancel);
    await agent.stop('the local job ended');
  }
}
