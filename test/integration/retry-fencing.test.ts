import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, createCluster, jobFolder, waitForJob } from '../helpers/job-fixtures.js';
import { waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// Fast health timings: a silent node is lost 1.5 s + 4 s after its last heartbeat.
const config = {
  reconcileIntervalMs: 200,
  jobs: { heartbeatIntervalMs: 300, nodeNotRespondingAfterMs: 1500, nodeLostAfterMs: 4000 },
};
let server: ServerProcess;
const agentPid = (nodeId: string): number =>
  Number(readFileSync(join(server.home, 'nodes', nodeId, 'agent.pid'), 'utf8'));

/** Attempt numbers of the job's command processes alive now, found by a marker in their command line. */
function liveAttempts(mark: string): Set<number> {
  const attempts = new Set<number>();
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!argv[0]?.endsWith('bash') || !argv.some((a) => a.includes(mark))) continue;
      const attempt = /\/jobs\/[^/]+\/(\d+)\/code$/.exec(readlinkSync(`/proc/${pid}/cwd`))?.[1];
      if (attempt) attempts.add(Number(attempt));
    } catch {
      /* vanished */
    }
  }
  return attempts;
}

beforeAll(async () => {
  server = await startServerProcess({ config });
  await createCluster(server.url, 'fenced', 2, 2);
  await waitFor(
    async () =>
      (await api(server.url, 'GET', '/api/workspaces/default/computes/fenced')).body.properties.properties
        .nodeStateCounts?.idleNodeCount === 2 || undefined,
    'two idle nodes',
    60_000,
  );
}, 90_000);

afterAll(async () => {
  await api(server.url, 'DELETE', '/api/workspaces/default/computes/fenced');
  await waitFor(
    async () => (await api(server.url, 'GET', '/api/workspaces/default/computes/fenced')).status === 404,
    'the cluster to go',
    30_000,
  );
  await server.stop();
});

describe('retries are fenced', () => {
  it('a lost node is stopped before its attempt is retried elsewhere: the two attempts never run at once', async () => {
    const mark = `fence-${randomUUID().slice(0, 8)}`;
    const spec = {
      command: `echo started; while true; do sleep 0.1; done; : ${mark}`,
      compute: 'fenced',
      retry_settings: { max_retries: 1 },
    };
    await runCli(['job', 'create', '-f', jobFolder(spec), '--name', 'fenced-job'], { url: server.url });
    const running = await waitForJob(
      server.url,
      'fenced-job',
      (j) => j.properties.status === 'Running',
      'to run',
      60_000,
    );
    await waitFor(() => liveAttempts(mark).has(1) || undefined, 'attempt 1 to run', 10_000);
    // The agent freezes (a hung machine): its attempt keeps running, unseen by the server.
    const frozen = agentPid(running.properties.node);
    process.kill(frozen, 'SIGSTOP');
    const seen = new Set<number>();
    let most = 0;
    try {
      // Watch every 20 ms until attempt 2 has run for a while on the other node.
      let secondSince: number | undefined;
      await waitFor(
        () => {
          const live = liveAttempts(mark);
          live.forEach((a) => seen.add(a));
          most = Math.max(most, live.size);
          if (live.has(2)) secondSince ??= Date.now();
          return secondSince !== undefined && Date.now() - secondSince > 1500 ? true : undefined;
        },
        'attempt 2 to run',
        40_000,
        20,
      );
    } finally {
      if (alive(frozen)) process.kill(frozen, 'SIGCONT');
    }
    expect([...seen].sort()).toEqual([1, 2]);
    expect(most).toBe(1);
    const job = (await api(server.url, 'GET', '/api/workspaces/default/jobs/fenced-job')).body;
    expect(job.properties.attempts[0].reason).toContain('was lost');
    await api(server.url, 'POST', '/api/workspaces/default/jobs/fenced-job/cancel');
  });
});
