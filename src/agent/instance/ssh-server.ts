import { spawn, type ChildProcess } from 'node:child_process';
import { scryptSync, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { generateEd25519 } from '../../domain/instances/openssh-keys.js';
import type { SshSession } from '../../domain/instances/instance.js';
import { killGroup, spawnPty, type PtyProcess, type PtySize } from './pty.js';
import { asSessionUser, sessionEnv, type SessionUser } from './session-env.js';
import { SshForwarding } from './ssh-forwarding.js';

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
  /** The instance's name, shown in the prompt. */
  instanceName?: string;
  /** The OS account sessions run as (a root agent with that account); undefined: the agent's own. */
  sessionUser?: SessionUser;
  /** Password login (cluster admins): a salted scrypt of the password; absent: keys only. */
  password?: PasswordHash;
  /** Variables from the server for every session (the Azure ML SDK's). */
  extraEnv?: Record<string, string>;
}

/** A salted scrypt (hex), as the server sends it: the node never learns the password. */
export interface PasswordHash {
  salt: string;
  scrypt: string;
}

function passwordAllowed(hash: PasswordHash, password: string): boolean {
  const want = Buffer.from(hash.scrypt, 'hex');
  if (want.length === 0) return false;
  return timingSafeEqual(want, scryptSync(password, Buffer.from(hash.salt, 'hex'), want.length));
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
 * The instance's SSH server (OpenSSH clients, scp, sftp and VS Code Remote-SSH work): public-key
 * login as the instance user with the owner's keys, sessions land in the instance's home folder;
 * port and unix-socket forwarding (ssh -L/-W/-R); every open connection is counted as activity.
 */
export class InstanceSshServer {
  private readonly server: ssh2.Server;
  private readonly sessions = new Map<object, SshSession>();
  private readonly children = new Map<ChildProcess, () => void>();
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
      const { user, authorizedKeys, password } = this.settings;
      if (ctx.method === 'publickey' && ctx.username === user && keyAllowed(authorizedKeys, ctx))
        return ctx.accept();
      if (
        ctx.method === 'password' &&
        password &&
        ctx.username === user &&
        passwordAllowed(password, ctx.password)
      )
        return ctx.accept();
      ctx.reject(password ? ['publickey', 'password'] : ['publickey']);
    });
    let forwarding: SshForwarding | undefined;
    // Only a logged-in connection (the compute's keys or admin password) gets sessions and forwards.
    client.on('ready', () => {
      this.sessions.set(key, { from: info.ip, user: this.settings.user, since: new Date().toISOString() });
      this.log(`ssh: ${this.settings.user} logged in from ${info.ip}`);
      client.on('session', (accept) => this.onSession(accept()));
      forwarding = new SshForwarding(client, {
        home: this.home,
        user: this.settings.sessionUser,
        log: this.log,
      });
    });
    client.on('close', () => {
      forwarding?.close();
      this.sessions.delete(key);
      this.clients.delete(client);
    });
    client.on('error', () => this.sessions.delete(key));
  }

  private onSession(session: ssh2.Session): void {
    let size: PtySize | undefined;
    let pty: PtyProcess | undefined;
    const user = this.settings.sessionUser;
    const env = sessionEnv(
      this.baseEnv,
      this.home,
      this.settings.user,
      this.settings.instanceName,
      this.settings.extraEnv,
    );
    session.on('pty', (accept, _reject, info) => {
      size = { rows: info.rows, cols: info.cols };
      accept?.();
    });
    session.on('window-change', (accept, _reject, info) => {
      size = { rows: info.rows, cols: info.cols };
      pty?.resize(size);
      accept?.();
    });
    session.on('env', (accept, _reject, info) => {
      if (/^(LANG|LC_[A-Z]+|TERM)$/.test(info.key)) env[info.key] = info.val;
      accept?.();
    });
    // Without a pty (ssh -T) commands read plain pipes, as OpenSSH's do: nothing is echoed.
    const start = (channel: ssh2.ServerChannel, argv: string[]): void => {
      const command = asSessionUser(argv, user);
      if (!size) {
        const [file = 'bash', ...args] = command;
        const child = spawn(file, args, { cwd: this.home, env, detached: true, stdio: 'pipe' });
        return this.run(channel, child, () => killGroup(child));
      }
      const started = spawnPty(size, command, env, this.home, user);
      pty = started;
      this.run(channel, started.child, () => started.end());
    };
    session.on('shell', (accept) => start(accept(), ['bash', '-il']));
    session.on('exec', (accept, _reject, info) => start(accept(), ['bash', '-c', info.command]));
    session.on('subsystem', (accept, reject, info) => {
      if (info.name !== 'sftp' || !existsSync(SFTP_SERVER)) return reject();
      // The stock sftp-server speaks the protocol for scp and sftp; it runs in the home folder.
      const [file = SFTP_SERVER, ...args] = asSessionUser([SFTP_SERVER, '-d', this.home], user);
      const child = spawn(file, args, { cwd: this.home, env, detached: true, stdio: 'pipe' });
      this.run(accept(), child, () => killGroup(child));
    });
  }

  private run(channel: ssh2.ServerChannel, child: ChildProcess, stop: () => void): void {
    this.children.set(child, stop);
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
    // The client went away: the whole session goes with it.
    channel.on('close', stop);
  }

  async close(): Promise<void> {
    for (const stop of this.children.values()) stop();
    for (const client of this.clients) client.end();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
