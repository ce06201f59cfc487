import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCluster, waitForEnd } from '../helpers/job-fixtures.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { tempDir } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, serverFetch, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const ws = '/api/workspaces/default';
let pgServer: PostgresServer;
let server: ServerProcess | undefined;

beforeAll(async () => {
  if (postgresAvailable) pgServer = await startPostgres();
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await pgServer?.stop();
}, 60_000);

describe.skipIf(!postgresAvailable)('hangar admin migrate-store', () => {
  it('copies a SQLite server into PostgreSQL; the server starts on it with everything there; a second copy is refused', async () => {
    const home = tempDir('hangar-migrate-');
    const config = { reconcileIntervalMs: 200, jobs: { heartbeatIntervalMs: 300 } };
    server = await startServerProcess({ home, config });
    await createCluster(server.url, 'pool', 0, 1);
    expect(
      (
        await api(server.url, 'PUT', `${ws}/jobs/before`, {
          spec: { command: 'echo moved', compute: 'pool' },
        })
      ).status,
    ).toBe(201);
    expect((await waitForEnd(server.url, 'before')).properties.status).toBe('Completed');
    await server.stop();
    server = undefined;

    const url = await pgServer.createDatabase('migrated');
    // A password in the URL (trust auth ignores it) must never be printed.
    const withPassword = url.replace('hangar@', 'hangar:pw-never-shown@');
    const copied = await runCli(['admin', 'migrate-store', '--from', home, '--to', withPassword]);
    expect(copied.code, copied.stderr).toBe(0);
    expect(copied.stdout).toMatch(/^jobs\s+1$/m);
    expect(copied.stdout).toMatch(/^users\s+1$/m);
    expect(copied.stdout).toMatch(/Copied \d+ rows into postgres:\/\/hangar:\*\*\*@/);
    expect(copied.stdout + copied.stderr).not.toContain('pw-never-shown');

    server = await startServerProcess({ home, config, env: { HANGAR_DATABASE_URL: withPassword } });
    expect(server.output()).not.toContain('pw-never-shown');
    // The same admin token (users and token hashes came along), job, compute and its log.
    const job = await api(server.url, 'GET', `${ws}/jobs/before`);
    expect(job.status).toBe(200);
    expect(job.body.properties.status).toBe('Completed');
    expect((await api(server.url, 'GET', `${ws}/computes/pool`)).status).toBe(200);
    const log = await serverFetch(`${server.url}${ws}/jobs/before/logs`);
    expect(await log.text()).toContain('moved');
    // New writes continue after the copied sequences (queue order, events). A new cluster: the old
    // one's node went with the stopped server (its agent was stopped with it).
    await createCluster(server.url, 'pool2', 0, 1);
    expect(
      (
        await api(server.url, 'PUT', `${ws}/jobs/after`, {
          spec: { command: 'echo again', compute: 'pool2' },
        })
      ).status,
    ).toBe(201);
    expect((await waitForEnd(server.url, 'after')).properties.status).toBe('Completed');

    const again = await runCli(['admin', 'migrate-store', '--from', home, '--to', withPassword]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/the database is not empty \(table \w+ has \d+ rows\)/);
    expect(again.stderr).not.toContain('pw-never-shown');
  }, 120_000);

  it('refuses a --to that is not a PostgreSQL URL, and a --from with no database, naming the option', async () => {
    const bad = await runCli(['admin', 'migrate-store', '--from', tempDir(), '--to', 'mysql://x/y']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--to: must be a postgres:// or postgresql:// URL');
    const none = await runCli(['admin', 'migrate-store', '--from', tempDir(), '--to', pgServer.url]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/--from: no SQLite database at .*hangar\.db/);
  });
});
