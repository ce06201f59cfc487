import Database from 'better-sqlite3';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, jobFolder, waitForEnd, waitForJob } from '../helpers/job-fixtures.js';
import { cliPath, exited, spawnMarked, tempDir, waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import {
  adminToken,
  api,
  serverFetch,
  startServerProcess,
  type ServerProcess,
} from '../helpers/server-process.js';

let server: ServerProcess;
const cli = (args: string[]) => runCli(args, { url: server.url });
/** Node ids the server's SQLite file holds (no API lists a local job's node). */
function storedNodeIds(): string[] {
  const db = new Database(join(server.home, 'hangar.db'), { readonly: true });
  try {
    return (db.prepare('SELECT id FROM nodes').all() as { id: string }[]).map((r) => r.id);
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  server = await startServerProcess({
    config: { reconcileIntervalMs: 200, jobs: { heartbeatIntervalMs: 300, cancelGraceSeconds: 2 } },
  });
}, 60_000);

afterAll(async () => {
  await server.stop();
});

describe('the local target (compute: local, run by the submitting CLI)', () => {
  it('runs the job on this machine inside `job create`, no compute needed, recorded like any job', async () => {
    const r = await cli([
      'job',
      'create',
      '-f',
      'examples/hello-python/job.yml',
      '--set',
      'compute=local',
      '--name',
      'here-1',
    ]);
    expect(r.stderr).toContain('running on this machine (local target)');
    expect(r.stderr).toContain('Completed (exit code 0)');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('step 4: total=10');
    const job = (await api(server.url, 'GET', '/api/workspaces/default/jobs/here-1')).body.properties;
    expect(job).toMatchObject({ status: 'Completed', exitCode: 0, computeId: 'local' });
    expect(job.attempts[0].nodeId).toMatch(/^local-/);
    const metrics = (await api(server.url, 'GET', '/api/workspaces/default/jobs/here-1/metrics')).body;
    expect(metrics.metrics).toEqual([expect.objectContaining({ key: 'total', value: 10 })]);
    const log = await (await serverFetch(`${server.url}/api/workspaces/default/jobs/here-1/logs`)).text();
    expect(log).toContain('step 4: total=10');
    // The job's node lives only as long as the job.
    await waitFor(
      () => !storedNodeIds().includes(String(job.attempts[0].nodeId)),
      'the local node to be released',
      10_000,
    );
  });

  it('Ctrl-C in `job create` cancels the job and stops its process tree', async () => {
    const pidFile = join(tempDir(), 'child.pid');
    const yml = jobFolder({
      command: `sleep 300 & echo $! > ${pidFile}; echo started; wait`,
      compute: 'local',
    });
    const child = spawnMarked(
      process.execPath,
      [cliPath, 'job', 'create', '-f', yml, '--name', 'here-ctrl-c'],
      {
        env: { HANGAR_URL: server.url, HANGAR_TOKEN: adminToken(server.url) ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(
      () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '',
      'the job to start its child',
      30_000,
    );
    const sleeper = Number(readFileSync(pidFile, 'utf8'));
    child.kill('SIGINT');
    const code = await exited(child);
    expect(code).toBe(1);
    expect(stderr).toContain('canceling (Ctrl-C)');
    expect((await waitForEnd(server.url, 'here-ctrl-c')).properties.status).toBe('Canceled');
    await waitFor(() => !alive(sleeper), 'the job child to be killed', 10_000);
  });

  it('waits for its submitter with a plain reason, and refuses more than one node', async () => {
    const submitted = await api(server.url, 'PUT', '/api/workspaces/default/jobs/here-api', {
      spec: { command: 'true', compute: 'azureml:local' },
    });
    expect(submitted.status).toBe(201);
    expect(typeof submitted.body.localAgentToken).toBe('string');
    const waiting = await waitForJob(
      server.url,
      'here-api',
      (j) => j.properties.status === 'Queued',
      'to wait',
    );
    expect(waiting.properties.statusReason).toContain('local agent');
    expect(waiting.localAgentToken).toBeUndefined();
    await api(server.url, 'POST', '/api/workspaces/default/jobs/here-api/cancel');
    expect((await waitForEnd(server.url, 'here-api')).properties.status).toBe('Canceled');
    const wide = await api(server.url, 'PUT', '/api/workspaces/default/jobs/here-wide', {
      spec: { command: 'true', compute: 'local', resources: { instance_count: 2 } },
    });
    expect(wide.status).toBe(422);
    expect(wide.body.error).toMatchObject({ code: 'JobCannotRun', target: 'resources.instance_count' });
  });
});
