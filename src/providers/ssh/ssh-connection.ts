import { createHash } from 'node:crypto';
import { Client, type ConnectConfig } from 'ssh2';

/** How to reach and log in to a machine. */
export interface SshTarget {
  host: string;
  port: number;
  username: string;
  password?: string;
  privateKey?: string;
  passphrase?: string;
  /** The host key fingerprint pinned on first use (`SHA256:…`); absent: accept and report it. */
  pinnedHostKey?: string;
}

/** Why a connection failed, told apart (unreachable, wrong credentials, changed host key). */
export class SshError extends Error {
  constructor(readonly kind: 'unreachable' | 'auth' | 'hostkey' | 'command', message: string) {
    super(message);
  }
}

/** OpenSSH's fingerprint of a host key blob. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** An open SSH connection that runs commands. */
export class SshConnection {
  private constructor(private readonly client: Client, readonly hostKey: string) {}

  /** Connects, runs `work` on the connection, and always closes it. */
  static async using<T>(target: SshTarget, work: (c: SshConnection) => Promise<T>): Promise<T> {
    const c = await SshConnection.connect(target);
    try {
      return await work(c);
    } finally {
      c.end();
    }
  }

  /** Connects and logs in; failures are SshErrors saying which of the three things went wrong. */
  static connect(target: SshTarget, timeoutMs = 10_000): Promise<SshConnection> {
    return new Promise((resolve, reject) => {
      const client = new Client();
      let offered = '';
      let mismatch = false;
      const where = `${target.host}:${target.port}`;
      const config: ConnectConfig = {
        host: target.host,
        port: target.port,
        username: target.username,
        readyTimeout: timeoutMs,
        ...(target.password !== undefined ? { password: target.password } : {}),
        ...(target.privateKey !== undefined ? { privateKey: target.privateKey } : {}),
        ...(target.passphrase !== undefined ? { passphrase: target.passphrase } : {}),
        hostVerifier: (key: Buffer) => {
          offered = fingerprint(key);
          mismatch = target.pinnedHostKey !== undefined && target.pinnedHostKey !== offered;
          return !mismatch;
        },
      };
      client.once('ready', () => resolve(new SshConnection(client, offered)));
      client.once('error', (err: Error & { level?: string; code?: string }) => {
        client.end();
        if (mismatch) return reject(new SshError('hostkey', `the host key of ${where} changed: pinned ${target.pinnedHostKey ?? ''}, offered ${offered}. If the machine was reinstalled, detach and attach it again; otherwise someone may be intercepting the connection.`));
        if (err.level === 'client-authentication') return reject(new SshError('auth', `authentication failed for user '${target.username}' at ${where} with the ${target.privateKey ? 'private key' : 'password'} given (the server said: ${err.message}).`));
        if (err.level === 'client-socket' || err.level === 'client-timeout' || /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ENOTFOUND|Timed out/.test(`${err.code ?? ''} ${err.message}`)) {
          return reject(new SshError('unreachable', `cannot reach ${where}: ${err.code ?? err.message}.`));
        }
        reject(new SshError('command', `SSH to ${where} failed: ${err.message}`));
      });
      try {
        client.connect(config);
      } catch (err) {
        reject(new SshError('auth', `cannot use the credentials for ${where}: ${(err as Error).message}`));
      }
    });
  }

  /** Runs a command (with optional stdin); answers its exit code and output. */
  exec(command: string, input?: Buffer | string): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, (err, stream) => {
        if (err) return reject(new SshError('command', `cannot run a command over SSH: ${err.message}`));
        let stdout = '';
        let stderr = '';
        let code = 0;
        stream.on('data', (d: Buffer) => (stdout += d.toString()));
        stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        stream.on('exit', (c: number | null) => (code = c ?? 1));
        stream.on('close', () => resolve({ code, stdout, stderr }));
        stream.end(input);
      });
    });
  }

  end(): void {
    this.client.end();
  }
}
