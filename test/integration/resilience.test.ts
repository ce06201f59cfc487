import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, createCluster, jobFolder, waitForEnd, waitForJob } from '../helpers/job-fixtures.js';
import { nonEmpty, processesWithEnv } from '../helpers/job-processes.js';
import { waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess, serverFetch } from '../helpers/server-process.js';

const config = {
  reconcileIntervalMs: 200,
  jobs: { heartbeatIntervalMs: 300, nodeNotRespondingAfterMs: 1500, nodeLostAfterMs: 4000 },
};
let server: ServerProcess;
const cli = (args: string[]) => runCli(args, { url: server.url });
const agentPid = (nodeId: string): number =>
  Number(readFileSync(join(server.home, 'nodes', nodeId, 'agent.pid'), 'utf8'));

beforeAll(async () => {
  server = await startServerProcess({ config });
  await createCluster(server.url, 'tough', 0, 1);
}, 60_000);

afterAll(async () => {
  await api(server.url, 'DELETE', '/api/workspaces/default/computes/tough');
  await waitFor(
    async () => (await api(server.url, 'GET', '/api/workspaces/default/computes/tough')).status === 404,
    'the cluster to go',
    30_000,
  );
  await server.stop();
});

describe('never lose or kill a healthy job', () => {
  it('agent killed mid-job: NotResponding, then lost after the grace period with the reason', async () => {
    // Jobs have their own PID namespace: their processes are found by a tag in their environment.
    const tag = randomUUID();
    await cli([
      'job',
      'create',
      '-f',
      jobFolder({
        command: 'sleep 120 & wait',
        compute: 'tough',
        environment_variables: { HANGAR_TEST_PROBE: tag },
      }),
      '--name',
      'orphaned',
    ]);
    const running = await waitForJob(
      server.url,
      'orphaned',
      (j) => j.properties.status === 'Running',
      'to run',
      60_000,
    );
    const [child = 0] = await waitFor(
      () => nonEmpty(processesWithEnv('HANGAR_TEST_PROBE', tag, 'sleep')),
      'the job child',
      10_000,
    );
    process.kill(agentPid(running.properties.node), 'SIGKILL');
    const silent = await waitForJob(
      server.url,
      'orphaned',
      (j) => j.properties.status === 'NotResponding',
      'to be NotResponding',
      15_000,
    );
    expect(silent.properties.statusReason).toContain('stopped heartbeating');
    const lost = await waitForEnd(server.url, 'orphaned', 20_000);
    expect(lost.properties.status).toBe('Failed');
    expect(lost.properties.error.message).toContain('was lost');
    expect(lost.properties.error.message).toContain('grace period of 4 s');
    // The released node takes its orphaned job processes with it.
    await waitFor(() => !alive(child), 'the orphaned job process to be killed', 10_000);
  });

  it('agent paused and resumed: the job is re-attached and completes with its whole log', async () => {
    const script =
      'import time\nfor i in range(40):\n    print(f"tick {i}", flush=True)\n    time.sleep(0.2)\n';
    await cli([
      'job',
      'create',
      '-f',
      jobFolder({ command: 'python ticks.py', compute: 'tough' }, { 'ticks.py': script }),
      '--name',
      'paused',
    ]);
    const running = await waitForJob(
      server.url,
      'paused',
      (j) => j.properties.status === 'Running',
      'to run',
      60_000,
    );
    const pid = agentPid(running.properties.node);
    process.kill(pid, 'SIGSTOP');
    try {
      await waitForJob(
        server.url,
        'paused',
        (j) => j.properties.status === 'NotResponding',
        'to be NotResponding',
        15_000,
      );
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitForJob(
      server.url,
      'paused',
      (j) => j.properties.status === 'Running' || j.properties.status === 'Completed',
      'to be re-attached',
      15_000,
    );
    const done = await waitForEnd(server.url, 'paused', 30_000);
    expect(done.properties.status).toBe('Completed');
    expect(done.properties.attempts).toHaveLength(1);
    const log = await (await serverFetch(`${server.url}/api/workspaces/default/jobs/paused/logs`)).text();
    expect(log.split('\n').filter((l) => l.startsWith('tick '))).toEqual(
      Array.from({ length: 40 }, (_, i) => `tick ${i}`),
    );
  });

  it('server killed with SIGKILL while jobs run: after restart they complete, queued ones stay queued, logs are whole', async () => {
    const script =
      'import time\nfor i in range(30):\n    print(f"row {i}", flush=True)\n    time.sleep(0.2)\n';
    const yml = jobFolder({ command: 'python rows.py', compute: 'tough' }, { 'rows.py': script });
    await cli(['job', 'create', '-f', yml, '--name', 'survivor']);
    await cli(['job', 'create', '-f', yml, '--name', 'waiter']);
    await waitForJob(server.url, 'survivor', (j) => j.properties.status === 'Running', 'to run', 60_000);
    await waitForJob(
      server.url,
      'waiter',
      (j) =>
        j.properties.status === 'Queued' &&
        !String(j.properties.statusReason).startsWith('waiting for the scheduler'),
      'to wait',
    );
    await new Promise((r) => setTimeout(r, 1000));
    const port = Number(new URL(server.url).port);
    await server.kill9();
    await new Promise((r) => setTimeout(r, 1500));
    server = await startServerProcess({ home: server.home, port, config });
    const waiter = (await api(server.url, 'GET', '/api/workspaces/default/jobs/waiter')).body;
    expect(['Queued', 'Preparing', 'Running']).toContain(waiter.properties.status);
    const survivor = await waitForEnd(server.url, 'survivor', 30_000);
    expect(survivor.properties.status).toBe('Completed');
    expect((await waitForEnd(server.url, 'waiter', 60_000)).properties.status).toBe('Completed');
    for (const name of ['survivor', 'waiter']) {
      const log = await (await serverFetch(`${server.url}/api/workspaces/default/jobs/${name}/logs`)).text();
      expect(log.split('\n').filter((l) => l.startsWith('row '))).toEqual(
        Array.from({ length: 30 }, (_, i) => `row ${i}`),
      );
    }
  });
});
