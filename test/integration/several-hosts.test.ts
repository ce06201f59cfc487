import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobFolder, waitForEnd } from '../helpers/job-fixtures.js';
import { createTestHost, type TestHost } from '../helpers/netns.js';
import { tempDir, waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { ensureTestUser, startSshd, type TestSshd } from '../helpers/sshd.js';

// Two hosts on a real (virtual) network: the server on this host's address of a veth link, an
// SSH machine in a network namespace with its own 10.x address. The agent there reaches the
// server across the link; nothing goes through loopback between them.
const isRoot = process.getuid?.() === 0;
const user = 'hangar-far';
let host: TestHost;
let sshd: TestSshd;
let server: ServerProcess;
let keyFile = '';

beforeAll(async () => {
  if (!isRoot) return;
  ensureTestUser(user);
  host = createTestHost();
  sshd = await startSshd({ listen: host.address, netns: host.name, port: 22 });
  keyFile = join(tempDir(), 'id');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
  sshd.authorize(user, readFileSync(`${keyFile}.pub`, 'utf8'));
  server = await startServerProcess({
    config: { host: host.gateway, reconcileIntervalMs: 200, jobs: { heartbeatIntervalMs: 300 } },
  });
}, 60_000);

afterAll(async () => {
  if (!isRoot) return;
  await api(server.url, 'DELETE', '/api/workspaces/default/computes/far-box?underlyingResourceAction=Detach');
  await waitFor(
    async () => (await api(server.url, 'GET', '/api/workspaces/default/computes/far-box')).status === 404,
    'far-box to go',
    30_000,
  ).catch(() => undefined);
  await server.stop();
  await sshd.stop();
  execFileSync('bash', ['-c', `pkill -KILL -u ${user} || true`]);
  host.remove();
}, 60_000);

describe.runIf(isRoot)('several hosts', () => {
  it('runs a job on a machine with its own address, whose agent reaches the server across the network', async () => {
    expect(server.url).toContain(host.gateway);
    const r = await runCli(
      [
        'compute',
        'attach',
        '--type',
        'virtualmachine',
        '--name',
        'far-box',
        '--address',
        host.address,
        '--ssh-port',
        '22',
        '--admin-username',
        user,
        '--ssh-private-key-file',
        keyFile,
      ],
      { url: server.url },
    );
    expect(r.code, r.stderr).toBe(0);
    const job = jobFolder({ command: 'echo "addresses: $(hostname -I)"', compute: 'far-box' });
    const run = await runCli(['job', 'create', '-f', job, '--name', 'far-job', '--stream'], {
      url: server.url,
    });
    expect(run.code, run.stderr).toBe(0);
    // The job ran inside the namespace: its only address is the namespace's own.
    expect(run.stdout).toContain(`addresses: ${host.address}`);
    expect((await waitForEnd(server.url, 'far-job')).properties.status).toBe('Completed');
    // The node registered from the far side of the link.
    const sessions = execFileSync(
      'nsenter',
      [`--net=/run/netns/${host.name}`, 'ss', '-tn', 'state', 'established'],
      { encoding: 'utf8' },
    );
    expect(sessions).toContain(`${host.gateway}:${new URL(server.url).port}`);
  }, 120_000);
});
