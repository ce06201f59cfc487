import { spawn, type ChildProcess } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { generateEd25519 } from '../../domain/instances/openssh-keys.js';
import { commandLine } from '../../domain/shell.js';
import type { SshSession } from '../../domain/instances/instance.js';
import { killGroup, spawnPtyShell, type PtySize } from './pty.js';
import { sessionEnv } from './session-env.js';

const SFTP_SERVER = '/usr/lib/openssh/sftp-server';

/** The host key of the instance, made once and kept in the instance folder (clients' known_hosts stay valid across stops). */
function hostKey(instanceDir: string): string {
  const file = join(instanceDir, 'ssh_host_ed25519_key');
  if (!existsSync(file)) writeFileSync(file, generateEd25519('hangar-instance').privateKey, { mode: 0o600 });
  return readFileSync(file, 'utf8');
}

/** Settings the SSH server follows (changed by the server's heartbeat answers). */
export interface SshSettings {
  user: string;
  authorizedKeys: string[];
}

function keyAllowed(keys: string[], ctx: ssh2.PublicKeyAuthContext): boolean {
  for (const text of keys) {
    const key = ssh2.utils.parseKey(text);
    if (key instanceof Error) continue;
    const pub = key.getPublicSSH();
    if (
      ctx.key.algo !== key.type ||
      pub.length !== ctx.key.data.length ||
      !timingSafeEqual(pub, ctx.key.data)
    )
      continue;
    // Without a signature the client only asks whether the key would do; with one, it must verify.
    if (ctx.signature && ctx.blob && key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return false;
    return true;
  }
  return false;
}

/**
 * The instance's SSH server (OpenSSH clients, scp and sftp work): public-key login as the instance
 * user, sessions land in the instance's home folder; every session is counted as activity.
 */
export class InstanceSshServer {
  private readonly server: ssh2.Server;
  private readonly sessions = new Map<object, SshSession>();
  private readonly children = new Set<ChildProcess>();
  private readonly clients = new Set<ssh2.Connection>();
  settings: SshSettings;

  constructor(
    private readonly instanceDir: string,
    private readonly home: string,
    settings: SshSettings,
    private readonly baseEnv: Record<string, string | undefined>,
    private readonly log: (l: string) => void,
  ) {
    this.settings = settings;
    this.server = new ssh2.Server({ hostKeys: [hostKey(instanceDir)] }, (client, info) =>
      this.onClient(client, info),
    );
  }

  async listen(host: string, port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  /** Open SSH connections that have logged in. */
  openSessions(): SshSession[] {
    return [...this.sessions.values()];
  }

  private onClient(client: ssh2.Connection, info: ssh2.ClientInfo): void {
    const key = {};
    this.clients.add(client);
    client.on('authentication', (ctx) => {
      if (
        ctx.method === 'publickey' &&
        ctx.username === this.settings.user &&
        keyAllowed(this.settings.authorizedKeys, ctx)
      )
        return ctx.accept();
      ctx.reject(['publickey']);
    });
    client.on('ready', () => {
      this.sessions.set(key, { from: info.ip, user: this.settings.user, since: new Date().toISOString() });
      this.log(`ssh: ${this.settings.user} logged in from ${info.ip}`);
      client.on('session', (accept) => this.onSession(accept()));
    });
    client.on('close', () => {
      this.sessions.delete(key);
      this.clients.delete(client);
    });
    client.on('error', () => this.sessions.delete(key));
  }

  private onSession(session: ssh2.Session): void {
    let pty: PtySize | undefined;
    const env = sessionEnv(this.baseEnv, this.home, this.settings.user);
    session.on('pty', (accept, _reject, info) => {
      pty = { rows: info.rows, cols: info.cols };
      accept?.();
    });
    session.on('env', (accept, _reject, info) => {
      if (/^(LANG|LC_[A-Z]+|TERM)$/.test(info.key)) env[info.key] = info.val;
      accept?.();
    });
    // Without a pty (ssh -T) the shell reads plain pipes, as OpenSSH's does: nothing is echoed.
    session.on('shell', (accept) =>
      this.run(
        accept(),
        pty
          ? spawnPtyShell(pty, env, this.home)
          : spawn('bash', ['-l'], { cwd: this.home, env, detached: true, stdio: 'pipe' }),
      ),
    );
    session.on('exec', (accept, _reject, info) => {
      const child = pty
        ? spawnPtyShell(pty, env, this.home, commandLine(['exec', 'bash', '-c', info.command]))
        : spawn('bash', ['-c', info.command], { cwd: this.home, env, detached: true, stdio: 'pipe' });
      this.run(accept(), child);
    });
    session.on('subsystem', (accept, reject, info) => {
      if (info.name !== 'sftp' || !existsSync(SFTP_SERVER)) return reject();
      // The stock sftp-server speaks the protocol for scp and sftp; it runs in the home folder.
      this.run(
        accept(),
        spawn(SFTP_SERVER, ['-d', this.home], { cwd: this.home, env, detached: true, stdio: 'pipe' }),
      );
    });
  }

  private run(channel: ssh2.ServerChannel, child: ChildProcess): void {
    this.children.add(child);
    channel.pipe(child.stdin as NodeJS.WritableStream);
    child.stdout?.pipe(channel, { end: false });
    child.stderr?.pipe(channel.stderr, { end: false });
    let stdoutDone = false;
    let exitCode: number | undefined;
    const finish = (): void => {
      if (!stdoutDone || exitCode === undefined) return;
      channel.exit(exitCode);
      channel.end();
    };
    child.stdout?.on('end', () => ((stdoutDone = true), finish()));
    child.on('exit', (code, signal) => {
      this.children.delete(child);
      exitCode = code ?? (signal ? 128 : 1);
      finish();
    });
    child.on('error', (err) => channel.stderr.write(`${err.message}\n`));
    // The client went away: the whole session's process group goes with it.
    channel.on('close', () => killGroup(child));
  }

  async close(): Promise<void> {
    for (const child of this.children) killGroup(child);
    for (const client of this.clients) client.end();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
