import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { exited, waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { adminToken, api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { sshClientKeys, type SshClientKeys } from '../helpers/ssh-client.js';

// VS Code itself is not here: its Remote-SSH extension uses the same channels as OpenSSH's -L, -W and -R.
let server: ServerProcess;
let keys: SshClientKeys;
let dir: string;
let port: string;
let echo: Server;
let echoPort: number;
let echoConnections = 0;
const running: ChildProcess[] = [];
const ws = '/api/workspaces/default/computes';
const props = async (name: string): Promise<any> =>
  (await api(server.url, 'GET', `${ws}/${name}`)).body.properties.properties;
const sshOpts = (key = 'id'): string[] => [
  ...keys.options(key),
  '-o',
  'ExitOnForwardFailure=yes',
  '-p',
  port,
];
const ssh = (args: string[], key = 'id', first: string[] = []): ChildProcess => {
  // For ssh, the first value given for an option wins.
  const child = spawn('ssh', [...first, ...sshOpts(key), ...args], { stdio: 'pipe' });
  running.push(child);
  return child;
};
const sshRun = (command: string): string =>
  execFileSync('ssh', [...sshOpts(), 'azureuser@127.0.0.1', command], { encoding: 'utf8', timeout: 20_000 });

/** Sends `text` through a socket (TCP port or unix socket path) and answers what came back. */
function roundTrip(target: number | string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = typeof target === 'number' ? connect(target, '127.0.0.1') : connect(target);
    let got = '';
    socket.on('data', (d) => {
      got += d.toString();
      if (got.length >= text.length) socket.end();
    });
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
    socket.write(text);
  });
}

const canConnect = (target: number | string): Promise<boolean> =>
  roundTrip(target, 'probe').then(
    (got) => got === 'probe',
    () => false,
  );

function echoServer(): Server {
  return createServer((s) => {
    echoConnections += 1;
    s.pipe(s);
    s.on('error', () => undefined);
  });
}

beforeAll(async () => {
  keys = sshClientKeys('hangar-fwd-');
  dir = keys.dir;
  echo = echoServer();
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as { port: number }).port;
  server = await startServerProcess({
    config: { reconcileIntervalMs: 200, jobs: { heartbeatIntervalMs: 300 } },
  });
  const made = await runCli(
    [
      'compute',
      'create',
      '-n',
      'fwd-dev',
      '--type',
      'computeinstance',
      '--size',
      'STANDARD_DS3_V2',
      '--ssh-public-access-enabled',
      '--ssh-key-value',
      keys.publicKey(),
    ],
    { url: server.url },
  );
  expect(made.code, made.stderr).toBe(0);
  const up = await waitFor(
    async () => ((await props('fwd-dev')).state === 'Running' ? props('fwd-dev') : undefined),
    'fwd-dev to run',
    60_000,
    100,
  );
  port = /-p (\d+)/.exec(String(up.connectionString))?.[1] ?? '';
}, 90_000);

afterEach(async () => {
  for (const child of running.splice(0)) {
    child.kill();
    await exited(child);
  }
});

afterAll(async () => {
  await api(server.url, 'DELETE', `${ws}/fwd-dev`);
  await waitFor(
    async () => ((await api(server.url, 'GET', ws)).body.value as unknown[]).length === 0,
    'the instance to go',
    60_000,
  );
  await server.stop();
  echo.close();
}, 90_000);

describe('SSH forwarding on a compute instance', () => {
  it('ssh -L forwards a local port to a port on the instance; the connection is activity', async () => {
    const local = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => resolve(p));
      });
    });
    ssh(['-N', '-L', `${local}:127.0.0.1:${echoPort}`, 'azureuser@127.0.0.1']);
    await waitFor(() => canConnect(local), 'the local forward to answer');
    expect(await roundTrip(local, 'through -L')).toBe('through -L');
    await waitFor(
      async () => String((await props('fwd-dev')).activity).includes('SSH/VS Code connection from 127.0.0.1'),
      'the forwarding connection to count as activity',
    );
  }, 30_000);

  it('ssh -W pipes stdin and stdout to a port on the instance (ProxyJump, VS Code)', async () => {
    const w = ssh(['-W', `127.0.0.1:${echoPort}`, 'azureuser@127.0.0.1']);
    let out = '';
    w.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    w.stdin?.write('through -W\n');
    await waitFor(() => out === 'through -W\n', 'the echo through -W');
  }, 30_000);

  it('ssh -L to a unix socket on the instance', async () => {
    const remote = join(dir, 'remote.sock');
    const local = join(dir, 'local.sock');
    const unixEcho = echoServer();
    await new Promise<void>((r) => unixEcho.listen(remote, r));
    try {
      ssh(['-N', '-L', `${local}:${remote}`, 'azureuser@127.0.0.1']);
      await waitFor(() => existsSync(local) && canConnect(local), 'the unix-socket forward to answer');
      expect(await roundTrip(local, 'through a socket')).toBe('through a socket');
    } finally {
      unixEcho.close();
    }
  }, 30_000);

  it('ssh -R listens on the instance, on loopback only, and brings connections back', async () => {
    const r = ssh(['-N', '-R', `0:127.0.0.1:${echoPort}`, 'azureuser@127.0.0.1'], 'id', [
      '-o',
      'LogLevel=INFO',
    ]);
    let err = '';
    r.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    // OpenSSH prints the port the server chose.
    const allocated = Number(
      (await waitFor(() => /Allocated port (\d+)/.exec(err) ?? undefined, 'the allocated port', 20_000))[1],
    );
    expect(await roundTrip(allocated, 'through -R')).toBe('through -R');
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    if (outside) {
      const reached = await new Promise<boolean>((resolve) => {
        const s = connect(allocated, outside);
        s.on('connect', () => (s.destroy(), resolve(true)));
        s.on('error', () => resolve(false));
      });
      expect(reached).toBe(false);
    }
    // The listener goes with the connection.
    r.kill();
    await exited(r);
    await waitFor(async () => !(await canConnect(allocated)), 'the remote listener to close');
  }, 30_000);

  it('ssh -R to a unix socket on the instance makes an owner-only socket', async () => {
    const remote = join(dir, 'reverse.sock');
    ssh(['-N', '-R', `${remote}:127.0.0.1:${echoPort}`, 'azureuser@127.0.0.1']);
    await waitFor(() => existsSync(remote), 'the remote socket');
    expect(statSync(remote).mode & 0o777).toBe(0o600);
    expect(await roundTrip(remote, 'through -R socket')).toBe('through -R socket');
  }, 30_000);

  it('refuses remote listens on privileged ports', async () => {
    const r = ssh(['-N', '-R', `80:127.0.0.1:${echoPort}`, 'azureuser@127.0.0.1']);
    let err = '';
    r.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    expect(await exited(r)).toBe(255);
    expect(err).toMatch(/remote port forwarding failed/);
  }, 30_000);

  it('forwards nothing for a key that is not the owner’s', async () => {
    const before = echoConnections;
    const w = ssh(['-W', `127.0.0.1:${echoPort}`, 'azureuser@127.0.0.1'], 'other');
    let err = '';
    w.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    expect(await exited(w)).toBe(255);
    expect(err).toMatch(/Permission denied \(publickey\)/);
    expect(echoConnections).toBe(before);
  }, 30_000);
});

describe('VS Code', () => {
  it('connect-ssh --vscode prints the Remote-SSH deep link', async () => {
    const r = await runCli(['compute', 'connect-ssh', '-n', 'fwd-dev', '--vscode'], { url: server.url });
    expect(r.code, r.stderr).toBe(0);
    const host = /@(\S+)$/.exec(String((await props('fwd-dev')).connectionString))?.[1] ?? '';
    expect(r.stdout.trim()).toBe(
      `vscode://vscode-remote/ssh-remote+azureuser@${host}:${port}/home/azureuser`,
    );
  });
});

describe('the web terminal', () => {
  it('follows resizes, on a real pty, with the instance user and name in the prompt', async () => {
    const term = new WebSocket(
      `${server.url.replace('http', 'ws')}/apps/default/fwd-dev/terminal/?rows=24&cols=80`,
      { headers: { authorization: `Bearer ${adminToken(server.url) ?? ''}` } },
    );
    let output = '';
    term.on('message', (d: Buffer) => (output += d.toString()));
    await new Promise((resolve, reject) => (term.on('open', resolve), term.on('error', reject)));
    try {
      await waitFor(() => output.includes('azureuser@fwd-dev'), 'the prompt', 20_000);
      term.send('stty size\n');
      await waitFor(() => output.includes('24 80'), 'the first size', 20_000);
      term.send(JSON.stringify({ type: 'resize', rows: 41, cols: 133 }));
      term.send('stty size; echo "cols=$COLUMNS"\n');
      // bash saw SIGWINCH too (checkwinsize): $COLUMNS follows.
      await waitFor(() => output.includes('41 133') && output.includes('cols=133'), 'the new size', 20_000);
    } finally {
      term.close();
    }
  }, 40_000);

  it('also follows an SSH client that asks for a pty', () => {
    const out = execFileSync(
      'ssh',
      [...sshOpts(), '-tt', '-o', 'RequestTTY=force', 'azureuser@127.0.0.1', 'stty size; tty'],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(out).toMatch(/^\d+ \d+\r?\n\/dev\/pts\/\d+/);
    expect(sshRun('echo "$USER $LOGNAME"').trim()).toBe('azureuser azureuser');
  });
});
