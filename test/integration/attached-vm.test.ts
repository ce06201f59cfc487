import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobFolder, waitForEnd } from '../helpers/job-fixtures.js';
import { tempDir, waitFor } from '../helpers/processes.js';
import { describeProviderContract } from '../../src/providers/provider-contract.js';
import { SshProvider } from '../../src/providers/ssh/ssh-provider.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { ensureTestUser, startSshd, type TestSshd } from '../helpers/sshd.js';

// A real OpenSSH sshd on a loopback port, logging in as a local test user: Hangar checks the
// machine, installs its agent over SSH and runs a static node there.
const isRoot = process.getuid?.() === 0;
const user = 'hangar-vm';
let server: ServerProcess;
let sshd: TestSshd;
let password = '';
let keyFile = '';
const cli = (...args: string[]) => runCli(args, { url: server.url });
const computeOf = async (name: string): Promise<any> =>
  (await api(server.url, 'GET', `/api/workspaces/default/computes/${name}`)).body;
const settled = (name: string): Promise<any> =>
  waitFor(
    async () => {
      const c = await computeOf(name);
      return ['Succeeded', 'Failed'].includes(c.properties.provisioningState) ? c : undefined;
    },
    `${name} to settle`,
    30_000,
    100,
  );
const attach = (name: string, ...creds: string[]) =>
  cli(
    'compute',
    'attach',
    '--type',
    'virtualmachine',
    '--name',
    name,
    '--address',
    '127.0.0.1',
    '--ssh-port',
    String(sshd.port),
    '--admin-username',
    user,
    ...creds,
  );

beforeAll(async () => {
  if (!isRoot) return;
  password = ensureTestUser(user);
  sshd = await startSshd();
  keyFile = join(tempDir(), 'id');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
  sshd.authorize(user, readFileSync(`${keyFile}.pub`, 'utf8'));
  server = await startServerProcess({
    config: { reconcileIntervalMs: 200, jobs: { heartbeatIntervalMs: 300 } },
  });
}, 60_000);

afterAll(async () => {
  if (!isRoot) return;
  for (const c of (await api(server.url, 'GET', '/api/workspaces/default/computes')).body.value as any[])
    await api(
      server.url,
      'DELETE',
      `/api/workspaces/default/computes/${c.name as string}?underlyingResourceAction=Detach`,
    );
  await waitFor(
    async () =>
      ((await api(server.url, 'GET', '/api/workspaces/default/computes')).body.value as unknown[]).length ===
      0,
    'computes to go',
    30_000,
  ).catch(() => undefined);
  await server.stop();
  await sshd.stop();
  // The user's agents are gone with their computes; make sure nothing of theirs is left running.
  execFileSync('bash', ['-c', `pkill -KILL -u ${user} || true`]);
}, 60_000);

// The provider contract every provider passes, against the real sshd (agents point at a dead port).
if (isRoot) {
  describeProviderContract('ssh', () =>
    Promise.resolve({
      provider: new SshProvider(
        'ssh:contract',
        () =>
          Promise.resolve({
            host: '127.0.0.1',
            port: sshd.port,
            username: user,
            privateKey: readFileSync(keyFile, 'utf8'),
          }),
        join(tempDir(), 'bundle'),
        'contract',
      ),
      serverUrl: 'http://127.0.0.1:1',
    }),
  );
}

describe.runIf(isRoot)('an attached SSH machine', () => {
  it("attaches with a key: pins the host key, installs the agent, and runs jobs there as the machine's user", async () => {
    const r = await attach('box', '--ssh-private-key-file', keyFile);
    expect(
      r.code,
      `${r.stderr}\n${JSON.stringify((await computeOf('box')).properties.provisioningErrors)}`,
    ).toBe(0);
    const c = await settled('box');
    expect(c.properties.provisioningState).toBe('Succeeded');
    expect(c.properties.properties.sshHostKey).toMatch(/^SHA256:/);
    expect(c.properties.properties.sshHostKey).toBe(
      execFileSync('ssh-keygen', ['-lf', join(sshd.dir, 'host_key.pub')], { encoding: 'utf8' }).split(' ')[1],
    );
    const job = jobFolder({
      command: 'echo "user $(whoami) home $HOME"; python3 -c "print(6*7)"',
      compute: 'box',
    });
    const run = await cli('job', 'create', '-f', job, '--name', 'on-box', '--stream');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`user ${user} home /home/${user}`);
    expect(run.stdout).toContain('42');
    expect((await waitForEnd(server.url, 'on-box')).properties.status).toBe('Completed');
    const nodes = (await api(server.url, 'GET', '/api/workspaces/default/computes/box/nodes')).body.value;
    expect(nodes).toHaveLength(1);
    expect(
      execFileSync('bash', ['-c', `pgrep -u ${user} -f -- "--node-id box-[0-9a-f]{8}( |$)" | wc -l`], {
        encoding: 'utf8',
      }).trim(),
    ).toBe('1');
  }, 120_000);

  it('attaches with a password too', async () => {
    const r = await attach('box-pw', '--admin-password', password);
    expect(r.code, r.stderr).toBe(0);
    expect((await settled('box-pw')).properties.provisioningState).toBe('Succeeded');
    expect(JSON.stringify(await computeOf('box-pw'))).not.toContain(password);
  }, 60_000);

  it('detach stops the node on the machine', async () => {
    expect((await cli('compute', 'detach', '-n', 'box', '--yes')).code).toBe(0);
    // box-pw's agent runs as the same user; box's own is the one with a node id box-<hex>.
    await waitFor(
      () =>
        execFileSync('bash', ['-c', `pgrep -u ${user} -f -- "--node-id box-[0-9a-f]{8}( |$)" | wc -l`], {
          encoding: 'utf8',
        }).trim() === '0',
      'the agent to stop',
      20_000,
      200,
    );
    expect((await api(server.url, 'GET', '/api/workspaces/default/computes/box')).status).toBe(404);
  }, 60_000);
});

it('tells a wrong password, an unreachable port and a changed host key apart', async () => {
  await attach('box-wrong', '--admin-password', 'not-the-password');
  const wrong = await settled('box-wrong');
  expect(wrong.properties.provisioningState).toBe('Failed');
  expect(wrong.properties.provisioningErrors[0].error.message).toContain(
    `authentication failed for user '${user}'`,
  );
  await cli(
    'compute',
    'attach',
    '--type',
    'virtualmachine',
    '--name',
    'box-closed',
    '--address',
    '127.0.0.1',
    '--ssh-port',
    '1',
    '--admin-username',
    user,
    '--admin-password',
    password,
  );
  const closed = await settled('box-closed');
  expect(closed.properties.provisioningErrors[0].error.message).toMatch(
    /cannot reach 127\.0\.0\.1:1: ECONNREFUSED/,
  );
  // The machine's host key changes: the next check refuses it, naming both fingerprints.
  await sshd.rotateHostKey();
  const pinned = (await computeOf('box-pw')).properties.properties.sshHostKey as string;
  expect((await cli('compute', 'update', '-n', 'box-pw', '--description', 'check again')).code).toBe(0);
  const changed = await settled('box-pw');
  expect(changed.properties.provisioningState).toBe('Failed');
  expect(changed.properties.provisioningErrors[0].error.message).toContain(
    `the host key of 127.0.0.1:${sshd.port} changed: pinned ${pinned}, offered SHA256:`,
  );
}, 90_000);
