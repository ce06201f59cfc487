import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { tempDir, waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import {
  adminToken,
  api,
  serverFetch,
  startServerProcess,
  type ServerProcess,
} from '../helpers/server-process.js';

let server: ServerProcess;
let keyDir: string;
const ws = '/api/workspaces/default/computes';
const cli = (...args: string[]) => runCli(args, { url: server.url });
const props = async (name: string): Promise<any> =>
  (await api(server.url, 'GET', `${ws}/${name}`)).body.properties.properties;
const stateOf = async (name: string): Promise<string> => String((await props(name)).state);
const waitState = (name: string, state: string, timeoutMs = 45_000): Promise<any> =>
  waitFor(
    async () => ((await stateOf(name)) === state ? props(name) : undefined),
    `${name} to be ${state}`,
    timeoutMs,
    100,
  );
const events = async (name: string): Promise<any[]> =>
  (await api(server.url, 'GET', `${ws}/${name}/events?$top=500`)).body.value;
const shiftClock = async (seconds: number): Promise<void> => {
  expect((await api(server.url, 'POST', '/api/admin/clock', { advanceSeconds: seconds })).status).toBe(200);
};
const sshOpts = (): string[] => [
  '-i',
  join(keyDir, 'id'),
  '-o',
  'IdentitiesOnly=yes',
  '-o',
  'BatchMode=yes',
  '-o',
  'StrictHostKeyChecking=no',
  '-o',
  `UserKnownHostsFile=${join(keyDir, 'known_hosts')}`,
  '-o',
  'LogLevel=ERROR',
];
const portOf = (connection: string): string => /-p (\d+)/.exec(connection)?.[1] ?? '';
const ssh = (port: string, command: string): string =>
  execFileSync('ssh', [...sshOpts(), '-p', port, 'azureuser@127.0.0.1', command], {
    encoding: 'utf8',
    timeout: 20_000,
  });

beforeAll(async () => {
  keyDir = tempDir();
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keyDir, 'id')]);
  server = await startServerProcess({
    env: { HANGAR_TEST_CLOCK: '1' },
    config: { reconcileIntervalMs: 200, jobs: { heartbeatIntervalMs: 300 } },
  });
}, 60_000);

afterAll(async () => {
  const names = ((await api(server.url, 'GET', ws)).body.value as any[]).map((c) => c.name as string);
  for (const name of names) await api(server.url, 'DELETE', `${ws}/${name}`);
  await waitFor(
    async () => ((await api(server.url, 'GET', ws)).body.value as unknown[]).length === 0,
    'instances to go',
    60_000,
  );
  await server.stop();
}, 90_000);

describe('a compute instance with SSH', () => {
  it('lets the stock OpenSSH client and scp in, into its home folder; a session counts as activity', async () => {
    const made = await cli(
      'compute',
      'create',
      '-n',
      'alice-dev',
      '--type',
      'computeinstance',
      '--size',
      'STANDARD_DS3_V2',
      '--ssh-public-access-enabled',
      '--ssh-key-value',
      readFileSync(join(keyDir, 'id.pub'), 'utf8').trim(),
      '--idle-time-before-shutdown-minutes',
      '30',
    );
    expect(made.code, made.stderr).toBe(0);
    const running = await waitState('alice-dev', 'Running');
    expect(running.connectionString).toMatch(/^ssh -p \d+ azureuser@\S+$/);
    const port = portOf(running.connectionString);
    expect(ssh(port, 'pwd; echo "user=$USER"; echo from-ssh > made-by-ssh.txt').trim().split('\n')).toEqual([
      expect.stringMatching(/\/home$/),
      'user=azureuser',
    ]);
    const local = join(keyDir, 'upload.txt');
    writeFileSync(local, 'uploaded through scp\n');
    execFileSync('scp', [...sshOpts(), '-P', port, local, 'azureuser@127.0.0.1:upload.txt'], {
      timeout: 20_000,
    });
    execFileSync(
      'scp',
      [...sshOpts(), '-P', port, 'azureuser@127.0.0.1:made-by-ssh.txt', join(keyDir, 'down.txt')],
      { timeout: 20_000 },
    );
    expect(readFileSync(join(keyDir, 'down.txt'), 'utf8')).toBe('from-ssh\n');
    expect(ssh(port, 'cat upload.txt')).toBe('uploaded through scp\n');
    expect(() =>
      execFileSync('ssh', [...sshOpts(), '-p', port, 'azureuser@127.0.0.1', 'exit 7'], { timeout: 20_000 }),
    ).toThrow(expect.objectContaining({ status: 7 }));
    // A long session is activity, named with where it comes from.
    const held = spawn('ssh', [...sshOpts(), '-p', port, 'azureuser@127.0.0.1', 'sleep 30'], {
      stdio: 'ignore',
    });
    try {
      await waitFor(
        async () =>
          String((await props('alice-dev')).activity).includes('SSH/VS Code connection from 127.0.0.1'),
        'the SSH session to show as activity',
      );
    } finally {
      held.kill();
    }
    await waitFor(
      async () => String((await props('alice-dev')).activity).startsWith('idle since'),
      'idle again after the session',
    );
  }, 90_000);

  it('refuses a key it was not given', async () => {
    const port = portOf((await props('alice-dev')).connectionString);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keyDir, 'other')]);
    const args = [
      '-i',
      join(keyDir, 'other'),
      ...sshOpts().slice(2),
      '-p',
      port,
      'azureuser@127.0.0.1',
      'true',
    ];
    expect(() => execFileSync('ssh', args, { stdio: 'pipe', timeout: 20_000 })).toThrow(
      /Permission denied \(publickey\)/,
    );
  });

  it('keeps the home folder across stop and start, and a stopped instance still holds its quota', async () => {
    const usage = async (): Promise<number> =>
      ((await api(server.url, 'GET', '/api/locations/local/usages')).body.value as any[])
        .filter((u) => String(u.name?.value ?? u.name).includes('DSv2'))
        .reduce((a, u) => a + Number(u.currentValue), 0);
    const before = await usage();
    expect(before).toBeGreaterThanOrEqual(4);
    expect((await cli('compute', 'stop', '-n', 'alice-dev')).code).toBe(0);
    await waitState('alice-dev', 'Stopped');
    expect((await props('alice-dev')).connectionString).toBeNull();
    expect(await usage()).toBe(before);
    expect((await api(server.url, 'GET', '/apps/default/alice-dev/terminal/')).body.error.code).toBe(
      'ApplicationUnavailable',
    );
    expect((await cli('compute', 'start', '-n', 'alice-dev')).code).toBe(0);
    const again = await waitState('alice-dev', 'Running');
    expect(ssh(portOf(again.connectionString), 'cat made-by-ssh.txt upload.txt')).toBe(
      'from-ssh\nuploaded through scp\n',
    );
    const reasons = (await events('alice-dev')).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['StopRequested', 'StartRequested', 'NodeReleased']));
  }, 90_000);

  it('restarts on a fresh node and keeps the home folder', async () => {
    const before = (await api(server.url, 'GET', `${ws}/alice-dev/nodes`)).body.value[0].nodeId;
    expect((await cli('compute', 'restart', '-n', 'alice-dev')).code).toBe(0);
    expect(await stateOf('alice-dev')).toBe('Restarting');
    const after = await waitState('alice-dev', 'Running');
    const nodes = (await api(server.url, 'GET', `${ws}/alice-dev/nodes`)).body.value;
    expect(nodes.map((n: any) => n.nodeId)).not.toContain(before);
    expect(nodes[0].connectionString).toBe(after.connectionString);
    expect(ssh(portOf(after.connectionString), 'cat made-by-ssh.txt')).toBe('from-ssh\n');
  }, 90_000);
});

describe('applications through the server', () => {
  const hasJupyter = existsSync('/usr/bin/jupyter-notebook');

  it.runIf(hasJupyter)(
    'starts Jupyter on first use; a kernel counts as activity until it is shut down',
    async () => {
      const base = `${server.url}/apps/default/alice-dev/jupyter`;
      const info = await serverFetch(`${base}/api`);
      expect(info.status).toBe(200);
      expect(((await info.json()) as { version: string }).version).toMatch(/^6\./);
      const kernel = (await (
        await serverFetch(`${base}/api/kernels`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).json()) as { id: string; name: string };
      expect(kernel.name).toBe('python3');
      // The kernel's channels over the proxied WebSocket: an execute request runs real Python.
      const channel = new WebSocket(`${base.replace('http', 'ws')}/api/kernels/${kernel.id}/channels`, {
        headers: { authorization: `Bearer ${adminToken(server.url) ?? ''}` },
      });
      const result = await new Promise<string>((resolve, reject) => {
        channel.on('error', reject);
        channel.on('open', () =>
          channel.send(
            JSON.stringify({
              header: {
                msg_id: 'm1',
                msg_type: 'execute_request',
                username: 't',
                session: 's1',
                version: '5.3',
                date: '',
              },
              parent_header: {},
              metadata: {},
              content: { code: 'print(6*7)', silent: false },
              channel: 'shell',
            }),
          ),
        );
        channel.on('message', (data: Buffer) => {
          const msg = JSON.parse(data.toString()) as { msg_type: string; content: { text?: string } };
          if (msg.msg_type === 'stream' && msg.content.text) resolve(msg.content.text);
        });
      });
      channel.close();
      expect(result.trim()).toBe('42');
      await waitFor(
        async () => String((await props('alice-dev')).activity).includes('1 Jupyter kernel'),
        'the kernel to count as activity',
      );
      expect((await serverFetch(`${base}/api/kernels/${kernel.id}`, { method: 'DELETE' })).status).toBe(204);
      await waitFor(
        async () => String((await props('alice-dev')).activity).startsWith('idle since'),
        'idle once the kernel is gone',
      );
    },
    120_000,
  );

  it('opens a terminal: a pty over a WebSocket, in the home folder, counted while open', async () => {
    const term = new WebSocket(
      `${server.url.replace('http', 'ws')}/apps/default/alice-dev/terminal/?rows=33&cols=101`,
      { headers: { authorization: `Bearer ${adminToken(server.url) ?? ''}` } },
    );
    let output = '';
    term.on('message', (d: Buffer) => (output += d.toString()));
    await new Promise((resolve, reject) => (term.on('open', resolve), term.on('error', reject)));
    term.send('tty; stty size; cat made-by-ssh.txt\n');
    await waitFor(() => output.includes('from-ssh'), 'the command output', 20_000);
    expect(output).toMatch(/\/dev\/pts\/\d+/);
    expect(output).toContain('33 101');
    await waitFor(
      async () => String((await props('alice-dev')).activity).includes('1 terminal session'),
      'the terminal to count as activity',
    );
    term.close();
    await waitFor(
      async () => !String((await props('alice-dev')).activity).includes('terminal'),
      'the terminal to close',
    );
  }, 60_000);

  it('lists its applications', async () => {
    const apps = ((await props('alice-dev')).applications as any[]).map((a) => [
      a.displayName,
      a.endpointUri,
    ]);
    expect(apps).toEqual(
      expect.arrayContaining([
        ['jupyter', '/apps/default/alice-dev/jupyter/'],
        ['terminal', '/apps/default/alice-dev/terminal/'],
      ]),
    );
  });
});

describe('idle shutdown', () => {
  it('stops an idle instance at its limit; a shorter setting than the idle time so far restarts the clock', async () => {
    await waitFor(
      async () => String((await props('alice-dev')).activity).startsWith('idle since'),
      'alice-dev to be idle',
    );
    await shiftClock(20 * 60);
    // Idle 20 min with a 30 min limit: nothing yet. The setting goes to 15 min: the clock restarts.
    const updated = await cli(
      'compute',
      'update',
      '-n',
      'alice-dev',
      '--idle-time-before-shutdown-minutes',
      '15',
    );
    expect(updated.code, updated.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await stateOf('alice-dev')).toBe('Running');
    expect((await props('alice-dev')).activity).toMatch(/idle clock restarted/);
    await shiftClock(10 * 60);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await stateOf('alice-dev')).toBe('Running');
    await shiftClock(6 * 60);
    await waitState('alice-dev', 'Stopped', 20_000);
    const stop = (await events('alice-dev')).find((e) => e.reason === 'IdleShutdown');
    expect(stop.message).toMatch(/idle for 16 min .*idleTimeBeforeShutdown 15 min/);
  }, 90_000);

  it('refuses idle settings outside 15 minutes – 3 days, naming the field', async () => {
    const r = await api(server.url, 'POST', `${ws}/alice-dev/updateIdleShutdownSetting`, {
      idleTimeBeforeShutdown: 'PT10M',
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'ValidationFailed', target: 'idleTimeBeforeShutdown' });
    expect(r.body.error.message).toContain("got 'PT10M'");
  });
});
