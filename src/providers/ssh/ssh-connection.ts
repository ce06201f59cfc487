import { createHash } from 'node:crypto';
import { Client, type ConnectConfig } from 'ssh2';
import { commandLine } from '../../domain/shell.js';
import { ProviderError } from '../provider-errors.js';

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

/** An ssh2 client error (its `level` says which stage failed, `code` the socket's errno). */
export type Ssh2Failure = Error & { level?: string; code?: string };

/**
 * Why a connection failed, as a ProviderError: a changed host key or refused login is
 * `credentials` (nothing changes until the compute does), a socket that cannot connect is
 * `unreachable` (back off and retry), a handshake the two sides cannot agree on is `refused`.
 */
export function connectFailure(
  err: Ssh2Failure,
  target: Pick<SshTarget, 'host' | 'port' | 'username' | 'privateKey' | 'pinnedHostKey'>,
  offered: { mismatch: boolean; fingerprint: string },
): ProviderError {
  const where = `${target.host}:${target.port}`;
  if (offered.mismatch)
    return new ProviderError(
      'credentials',
      `the host key of ${where} changed: pinned ${target.pinnedHostKey ?? ''}, offered ${offered.fingerprint}. If the machine was reinstalled, detach and attach it again; otherwise someone may be intercepting the connection.`,
      { cause: err },
    );
  if (
    err.level === 'client-authentication' ||
    /All configured authentication methods failed/i.test(err.message)
  )
    return new ProviderError(
      'credentials',
      `authentication failed for user '${target.username}' at ${where} with the ${target.privateKey ? 'private key' : 'password'} given (the server said: ${err.message}).`,
      { cause: err },
    );
  if (
    err.level === 'client-socket' ||
    err.level === 'client-timeout' ||
    err.level === 'client-dns' ||
    /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|Timed out/.test(
      `${err.code ?? ''} ${err.message}`,
    )
  )
    return new ProviderError('unreachable', `cannot reach ${where}: ${err.code ?? err.message}.`, {
      cause: err,
    });
  if (err.level === 'handshake' || /Handshake failed|no matching/i.test(err.message))
    return new ProviderError('refused', `SSH to ${where} failed: ${err.message}`, { cause: err });
  return new ProviderError('unreachable', `SSH to ${where} failed: ${err.message}`, { cause: err });
}

/** Reads a machine's login details; failing to (its compute gone, a secret unreadable) is a `credentials` error. */
export async function loginDetails(target: () => Promise<SshTarget>): Promise<SshTarget> {
  try {
    return await target();
  } catch (err) {
    throw err instanceof ProviderError
      ? err
      : new ProviderError('credentials', (err as Error).message, { cause: err });
  }
}

/** OpenSSH's fingerprint of a host key blob. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** An open SSH connection that runs commands. */
export class SshConnection {
  private constructor(
    private readonly client: Client,
    readonly hostKey: string,
  ) {}

  /** Connects, runs `work` on the connection, and always closes it. */
  static async using<T>(
    target: SshTarget,
    work: (c: SshConnection) => Promise<T>,
    timeoutMs?: number,
  ): Promise<T> {
    const c = await SshConnection.connect(target, timeoutMs);
    try {
      return await work(c);
    } finally {
      c.end();
    }
  }

  /** Connects and logs in; a failure is a ProviderError saying which thing went wrong (see connectFailure). */
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
      client.once('error', (err: Ssh2Failure) => {
        client.end();
        reject(connectFailure(err, target, { mismatch, fingerprint: offered }));
      });
      try {
        client.connect(config);
      } catch (err) {
        // A key ssh2 cannot parse (or a wrong passphrase) fails before any connection.
        reject(
          new ProviderError(
            'credentials',
            `cannot use the credentials for ${where}: ${(err as Error).message}`,
            { cause: err },
          ),
        );
      }
    });
  }

  /**
   * Runs one command, given as its argv (quoted by commandLine for the login shell: never a string
   * with variable parts pasted in), with optional stdin; answers its exit code and output. A script
   * is `['sh', '-c', SCRIPT, 'sh', ...args]` with SCRIPT constant and the variable parts in args.
   */
  exec(
    argv: readonly string[],
    input?: Buffer | string,
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      this.client.exec(commandLine(argv), (err, stream) => {
        // The server refusing another session (MaxSessions) is a lack of room; anything else is the connection going.
        if (err)
          return reject(
            new ProviderError(
              /Channel open failure/i.test(err.message) ? 'capacity' : 'unreachable',
              `cannot run a command over SSH: ${err.message}`,
              { cause: err },
            ),
          );
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
