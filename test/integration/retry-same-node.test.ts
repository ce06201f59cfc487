import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCluster, jobFolder, waitForJob } from '../helpers/job-fixtures.js';
import { waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, serverFetch, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// The agent leases its next job while an attempt's final report is on its way: a retry of that
// same job, placed back on the same (only) node, must still run once the report is in.
let server: ServerProcess;

beforeAll(async () => {
  server = await startServerProcess();
  await createCluster(server.url, 'one', 1, 1);
  await waitFor(
    async () =>
      (await api(server.url, 'GET', '/api/workspaces/default/computes/one')).body.properties.properties
        .nodeStateCounts?.idleNodeCount === 1 || undefined,
    'one idle node',
    60_000,
  );
}, 90_000);

afterAll(async () => {
  await api(server.url, 'DELETE', '/api/workspaces/default/computes/one');
  await waitFor(
    async () => (await api(server.url, 'GET', '/api/workspaces/default/computes/one')).status === 404,
    'the cluster to go',
    30_000,
  );
  await server.stop();
});

describe('retries on the node that ran the failed attempt', () => {
  it('every attempt of a failing job runs on the one node, then the next job runs there too', async () => {
    const spec = {
      command: 'echo "attempt $HANGAR_ATTEMPT"; exit 3',
      compute: 'one',
      retry_settings: { max_retries: 2 },
    };
    await runCli(['job', 'create', '-f', jobFolder(spec), '--name', 'thrice'], { url: server.url });
    await runCli(
      ['job', 'create', '-f', jobFolder({ command: 'echo after', compute: 'one' }), '--name', 'after'],
      {
        url: server.url,
      },
    );
    const failed = await waitForJob(
      server.url,
      'thrice',
      (j) => ['Completed', 'Failed', 'Canceled'].includes(j.properties.status),
      'to end',
      60_000,
    );
    expect(failed.properties.status).toBe('Failed');
    const attempts = failed.properties.attempts as { attempt: number; exitCode?: number; nodeId?: string }[];
    expect(attempts.map((a) => [a.attempt, a.exitCode])).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    const log = await serverFetch(
      `${server.url}/api/workspaces/default/jobs/thrice/logs?file=${encodeURIComponent('user_logs/std_log.txt')}`,
    );
    expect(await log.text()).toContain('attempt 3');
    const after = await waitForJob(
      server.url,
      'after',
      (j) => ['Completed', 'Failed', 'Canceled'].includes(j.properties.status),
      'to end',
      60_000,
    );
    expect(after.properties.status).toBe('Completed');
  });
});
