import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCluster, jobFolder, waitForEnd } from '../helpers/job-fixtures.js';
import { waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, serverFetch, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess;
const downloads = mkdtempSync(join(tmpdir(), 'job-processes-'));
const cli = (args: string[]) => runCli(args, { url: server.url });
const log = async (name: string, file: string) =>
  (
    await serverFetch(
      `${server.url}/api/workspaces/default/jobs/${name}/logs?file=${encodeURIComponent(file)}`,
    )
  ).text();
const printEnv =
  'echo "rank=$RANK local=$LOCAL_RANK world=$WORLD_SIZE node=$NODE_RANK master=$MASTER_ADDR:$MASTER_PORT ompi=$OMPI_COMM_WORLD_RANK"';

beforeAll(async () => {
  server = await startServerProcess({
    config: { reconcileIntervalMs: 200, jobs: { heartbeatIntervalMs: 300, cancelGraceSeconds: 2 } },
  });
  await createCluster(server.url, 'procs', 0, 2);
}, 60_000);

afterAll(async () => {
  await api(server.url, 'DELETE', '/api/workspaces/default/computes/procs');
  await waitFor(
    async () => (await api(server.url, 'GET', '/api/workspaces/default/computes')).body.value.length === 0,
    'the cluster to go',
    30_000,
  );
  await server.stop();
  rmSync(downloads, { recursive: true, force: true });
});

describe('ranked processes on one node', () => {
  it('process_count_per_instance: 2 with instance_count 1 starts two ranked processes, each with its own log', async () => {
    const yml = jobFolder({
      command: printEnv,
      compute: 'azureml:procs',
      distribution: { type: 'pytorch', process_count_per_instance: 2 },
    });
    const r = await cli(['job', 'create', '-f', yml, '--name', 'two-procs', '--stream']);
    expect(r.stderr).toContain('Completed');
    expect(r.code).toBe(0);
    // The default stream is the node's log: both processes.
    expect(r.stdout).toMatch(/rank=0 local=0 world=2 node=0 master=\S+:\d+ ompi=\n/);
    expect(r.stdout).toMatch(/rank=1 local=1 world=2 node=0 /);
    expect(await log('two-procs', 'user_logs/std_log_process_0.txt')).toMatch(
      /^rank=0 local=0 world=2 [^\n]*\n$/,
    );
    expect(await log('two-procs', 'user_logs/std_log_process_1.txt')).toMatch(
      /^rank=1 local=1 world=2 [^\n]*\n$/,
    );

    const shown = JSON.parse((await cli(['job', 'show', '-n', 'two-procs', '-o', 'json'])).stdout);
    expect(shown.log_files).toEqual([
      'user_logs/std_log.txt',
      'user_logs/std_log_process_0.txt',
      'user_logs/std_log_process_1.txt',
      'system_logs/agent.txt',
    ]);

    const one = await cli(['job', 'stream', '-n', 'two-procs', '--rank', '1']);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^rank=1 local=1 /);
    expect(one.stdout).not.toContain('rank=0');

    expect((await cli(['job', 'download', '-n', 'two-procs', '--all', '-p', downloads])).code).toBe(0);
    const got = join(downloads, 'two-procs', 'user_logs');
    expect(readFileSync(join(got, 'std_log_process_1.txt'), 'utf8')).toContain('rank=1 local=1');
    expect(existsSync(join(got, 'std_log_process_0.txt'))).toBe(true);
  });

  it('mpi processes get OMPI_COMM_WORLD_RANK, and a job without distribution keeps one log', async () => {
    const mpi = jobFolder({
      command: printEnv,
      compute: 'procs',
      distribution: { type: 'mpi', process_count_per_instance: 2 },
    });
    expect((await cli(['job', 'create', '-f', mpi, '--name', 'mpi-procs', '--stream'])).code).toBe(0);
    expect(await log('mpi-procs', 'user_logs/std_log_process_1.txt')).toContain('ompi=1');

    const plain = jobFolder({ command: printEnv, compute: 'procs' });
    expect((await cli(['job', 'create', '-f', plain, '--name', 'plain-proc', '--stream'])).code).toBe(0);
    expect(await log('plain-proc', 'user_logs/std_log.txt')).toMatch(/^rank= local= world= /);
    expect(
      (await api(server.url, 'GET', '/api/workspaces/default/jobs/plain-proc')).body.properties.logFiles,
    ).toEqual(['user_logs/std_log.txt', 'system_logs/agent.txt']);
  });

  it('a failing process stops the others; the message names its rank and log file', async () => {
    const yml = jobFolder({
      command: 'if [ "$RANK" = 1 ]; then echo broken; exit 3; fi; sleep 300',
      compute: 'procs',
      distribution: { type: 'pytorch', process_count_per_instance: 2 },
    });
    expect((await cli(['job', 'create', '-f', yml, '--name', 'procs-fail'])).code).toBe(0);
    const done = await waitForEnd(server.url, 'procs-fail', 60_000);
    expect(done.properties.status).toBe('Failed');
    expect(done.properties.error.message).toContain(
      'process rank 1 exited with code 3; see user_logs/std_log_process_1.txt',
    );
    expect(await log('procs-fail', 'user_logs/std_log_process_1.txt')).toBe('broken\n');
  });

  it('a two-node job keeps each process log on its node and serves them by global rank', async () => {
    const yml = jobFolder({
      command: printEnv,
      compute: 'procs',
      resources: { instance_count: 2 },
      distribution: { type: 'pytorch', process_count_per_instance: 2 },
    });
    expect((await cli(['job', 'create', '-f', yml, '--name', 'gang-procs', '--stream'])).code).toBe(0);
    expect(await log('gang-procs', 'user_logs/std_log_process_3.txt')).toMatch(
      /^rank=3 local=1 world=4 node=1 /,
    );
    expect(await log('gang-procs', 'user_logs/std_log_process_0.txt')).toMatch(
      /^rank=0 local=0 world=4 node=0 /,
    );
  });

  it('a log file name that is not one is refused naming the rule', async () => {
    const res = await serverFetch(
      `${server.url}/api/workspaces/default/jobs/two-procs/logs?file=${encodeURIComponent('user_logs/../../x')}`,
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; target: string; message: string } };
    expect(body.error).toMatchObject({ code: 'ValidationFailed', target: 'file' });
    expect(body.error.message).toContain('user_logs/std_log_process_<rank>.txt');
    expect((await cli(['job', 'stream', '-n', 'two-procs', '--rank', 'x'])).stderr).toContain('--rank');
  });
});
