import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobFolder, waitForEnd } from '../helpers/job-fixtures.js';
import { waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { sshClientKeys, type SshClientKeys } from '../helpers/ssh-client.js';

// A cluster created with SSH on runs the instance SSH server on each node, landing in the job workspace.
let server: ServerProcess;
let keys: SshClientKeys;
let dir: string;
const ws = '/api/workspaces/default/computes';
const cli = (...args: string[]) => runCli(args, { url: server.url });
const sshOpts = (key = 'id'): string[] => keys.options(key);
/** `ssh -p PORT user@host` → [port, user@host] */
const target = (connection: string): [string, string] => {
  const m = /^ssh -p (\d+) (\S+)$/.exec(connection);
  if (!m) throw new Error(`not a connection string: ${connection}`);
  return [m[1] ?? '', m[2] ?? ''];
};

beforeAll(async () => {
  keys = sshClientKeys('hangar-cssh-');
  dir = keys.dir;
  server = await startServerProcess({
    config: { reconcileIntervalMs: 200, jobs: { heartbeatIntervalMs: 300 } },
  });
}, 60_000);

afterAll(async () => {
  for (const name of ['ssh-cluster', 'pw-cluster', 'plain-cluster'])
    await api(server.url, 'DELETE', `${ws}/${name}`);
  await waitFor(
    async () => ((await api(server.url, 'GET', ws)).body.value as unknown[]).length === 0,
    'the clusters to go',
    60_000,
  );
  await server.stop();
}, 90_000);

describe('a cluster created with SSH on', () => {
  it('gives each node a connection string; ssh and scp land in the node’s job workspace', async () => {
    const yml = join(dir, 'cluster.yml');
    writeFileSync(
      yml,
      [
        '$schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json',
        'name: ssh-cluster',
        'type: amlcompute',
        'size: STANDARD_DS3_V2',
        'min_instances: 1',
        'max_instances: 1',
        'ssh_public_access_enabled: true',
        'ssh_settings:',
        '  admin_username: clusteradmin',
        `  ssh_key_value: ${keys.publicKey()}`,
        '',
      ].join('\n'),
    );
    const made = await cli('compute', 'create', '-f', yml);
    expect(made.code, made.stderr).toBe(0);
    const node = await waitFor(
      async () =>
        ((await api(server.url, 'GET', `${ws}/ssh-cluster/nodes`)).body.value as any[]).find(
          (n) => n.connectionString,
        ),
      'a node with an SSH connection string',
      60_000,
      100,
    );
    expect(node.connectionString).toMatch(/^ssh -p \d+ clusteradmin@\S+$/);
    const listed = await cli('compute', 'list-nodes', '-n', 'ssh-cluster', '-o', 'json');
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(listed.stdout))).toContain(node.connectionString);

    const [port, who] = target(node.connectionString);
    const host = who.replace(/^clusteradmin@/, '');
    const ssh = (command: string): string =>
      execFileSync('ssh', [...sshOpts(), '-p', port, `clusteradmin@${host}`, command], {
        encoding: 'utf8',
        timeout: 20_000,
      });
    // A job's folder appears in the workspace the session lands in.
    const job = jobFolder({ command: 'echo made-by-the-job > marker.txt', compute: 'azureml:ssh-cluster' });
    expect((await cli('job', 'create', '-f', job, '--name', 'ssh-visible')).code).toBe(0);
    expect((await waitForEnd(server.url, 'ssh-visible')).properties.status).toBe('Completed');
    const [where = '', user = ''] = ssh('pwd; echo "$USER"').trim().split('\n');
    expect(where).toMatch(/\/jobs$/);
    expect(user).toBe('clusteradmin');
    expect(ssh('find . -name marker.txt -exec cat {} +')).toBe('made-by-the-job\n');
    writeFileSync(join(dir, 'up.txt'), 'through scp\n');
    execFileSync('scp', [...sshOpts(), '-P', port, join(dir, 'up.txt'), `clusteradmin@${host}:up.txt`], {
      timeout: 20_000,
    });
    expect(ssh(`cat "${where}/up.txt"`)).toBe('through scp\n');
  }, 120_000);

  it('lets no other key in', async () => {
    const node = ((await api(server.url, 'GET', `${ws}/ssh-cluster/nodes`)).body.value as any[])[0];
    const [port, who] = target(node.connectionString);
    expect(() =>
      execFileSync('ssh', [...sshOpts('other'), '-p', port, who, 'true'], { stdio: 'pipe', timeout: 20_000 }),
    ).toThrow(/Permission denied \(publickey\)/);
  });

  it('lets the admin in with the password a cluster was created with, and refuses a wrong one', async () => {
    const yml = join(dir, 'pw-cluster.yml');
    writeFileSync(
      yml,
      [
        'name: pw-cluster',
        'type: amlcompute',
        'size: STANDARD_DS3_V2',
        'min_instances: 1',
        'max_instances: 1',
        'ssh_public_access_enabled: true',
        'ssh_settings:',
        '  admin_username: pwadmin',
        "  admin_password: 'S3cret pass!'",
        '',
      ].join('\n'),
    );
    const made = await cli('compute', 'create', '-f', yml);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).not.toContain('S3cret');
    const node = await waitFor(
      async () =>
        ((await api(server.url, 'GET', `${ws}/pw-cluster/nodes`)).body.value as any[]).find(
          (n) => n.connectionString,
        ),
      'a node with an SSH connection string',
      60_000,
      100,
    );
    const [port, who] = target(node.connectionString);
    expect(who).toMatch(/^pwadmin@/);
    // OpenSSH reads the password from SSH_ASKPASS when told to (no terminal here).
    const withPassword = (password: string): string => {
      const askpass = join(dir, `askpass-${password.length}`);
      writeFileSync(askpass, `#!/bin/sh\nprintf '%s\\n' '${password}'\n`, { mode: 0o700 });
      return execFileSync(
        'ssh',
        [
          '-o',
          'StrictHostKeyChecking=no',
          '-o',
          `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
          '-o',
          'LogLevel=ERROR',
          '-o',
          'PubkeyAuthentication=no',
          '-o',
          'PreferredAuthentications=password',
          '-o',
          'NumberOfPasswordPrompts=1',
          '-p',
          port,
          who,
          'echo "in as $USER"',
        ],
        {
          encoding: 'utf8',
          timeout: 20_000,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' },
        },
      );
    };
    expect(withPassword('S3cret pass!').trim()).toBe('in as pwadmin');
    expect(() => withPassword('wrong')).toThrow(/Permission denied/);
  }, 90_000);

  it('a cluster without SSH has none on its nodes', async () => {
    const r = await api(server.url, 'PUT', `${ws}/plain-cluster`, {
      properties: {
        computeType: 'AmlCompute',
        properties: {
          vmSize: 'STANDARD_D2_V2',
          scaleSettings: { minNodeCount: 1, maxNodeCount: 1, nodeIdleTimeBeforeScaleDown: 'PT600S' },
        },
      },
    });
    expect(r.status).toBeLessThan(300);
    const node = await waitFor(
      async () =>
        ((await api(server.url, 'GET', `${ws}/plain-cluster/nodes`)).body.value as any[]).find(
          (n) => n.lastHeartbeatAt,
        ),
      'a node that heartbeats',
      60_000,
      100,
    );
    expect(node.connectionString).toBeNull();
    expect(node.port).toBeNull();
  }, 90_000);
});
