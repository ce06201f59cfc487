import { chmodSync, chownSync, existsSync, lstatSync, statSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname, isAbsolute, resolve } from 'node:path';
import type ssh2 from 'ssh2';
import type { SessionUser } from './session-env.js';

/** Listeners one connection may hold (ssh -R / VS Code need a handful). */
const MAX_LISTENERS = 32;

/** Joins an SSH channel and a socket both ways; either side closing ends the other. */
function splice(channel: ssh2.Channel, socket: Socket): void {
  channel.pipe(socket).pipe(channel);
  socket.on('error', () => channel.destroy());
  channel.on('error', () => socket.destroy());
  channel.on('close', () => socket.destroy());
}

/** What the forwarding of one SSH connection needs. */
export interface ForwardingOptions {
  /** The home folder: relative socket paths are taken from there, as OpenSSH does. */
  home: string;
  /** Sessions' OS account when it is not the agent's: unix sockets are checked against it. */
  user: SessionUser | undefined;
  log: (line: string) => void;
}

/**
 * Port and unix-socket forwarding for one logged-in SSH connection, as VS Code Remote-SSH and
 * `ssh -L/-W/-R` use it: direct-tcpip, direct-streamlocal@openssh.com, tcpip-forward and
 * streamlocal-forward@openssh.com (with their cancels). Remote listens bind to loopback only (OpenSSH's
 * GatewayPorts no), never below port 1024, and end with the connection.
 */
export class SshForwarding {
  private readonly tcp = new Map<string, Server>();
  private readonly unix = new Map<string, Server>();

  constructor(
    private readonly client: ssh2.Connection,
    private readonly options: ForwardingOptions,
  ) {
    client.on('tcpip', (accept, reject, info) => this.directTcp(accept, reject, info));
    client.on('openssh.streamlocal', (accept, reject, info) => this.directUnix(accept, reject, info));
    client.on('request', (accept, reject, name, info) => {
      const ok = accept;
      const no = reject ?? (() => undefined);
      if (name === 'tcpip-forward') void this.listenTcp(info, ok, no);
      else if (name === 'cancel-tcpip-forward') this.cancelTcp(info, ok, no);
      else if (name === 'streamlocal-forward@openssh.com')
        void this.listenUnix(info as unknown as ssh2.SocketBindInfo, ok, no);
      else if (name === 'cancel-streamlocal-forward@openssh.com')
        this.cancelUnix(info as unknown as ssh2.SocketBindInfo, ok, no);
      else no();
    });
  }

  private socketPath(path: string): string {
    return isAbsolute(path) ? path : resolve(this.options.home, path);
  }

  /**
   * Whether the session user may connect to (or create) a unix socket there. A root agent makes the
   * connection itself, so without this check a user could reach root-only sockets through it.
   */
  private unixAllowed(path: string, creating: boolean): boolean {
    const user = this.options.user;
    if (!user) return true;
    try {
      const st = statSync(creating ? dirname(path) : path);
      if (st.uid === user.uid) return true;
      // A shared sticky folder such as /tmp lets anyone create their own socket in it.
      return creating && (st.mode & 0o1002) === 0o1002;
    } catch {
      return false;
    }
  }

  private directTcp(
    accept: ssh2.AcceptConnection<ssh2.ServerChannel>,
    reject: ssh2.RejectConnection,
    info: ssh2.TcpipRequestInfo,
  ): void {
    const socket = connect(info.destPort, info.destIP);
    socket.once('connect', () => splice(accept(), socket));
    socket.once('error', (err) => {
      if (!socket.connecting) return;
      this.options.log(`ssh: forward to ${info.destIP}:${info.destPort} failed: ${err.message}`);
      reject();
    });
  }

  private directUnix(
    accept: ssh2.AcceptConnection<ssh2.ServerChannel>,
    reject: ssh2.RejectConnection,
    info: ssh2.SocketRequestInfo,
  ): void {
    const path = this.socketPath(info.socketPath);
    if (!this.unixAllowed(path, false)) return reject();
    const socket = connect(path);
    socket.once('connect', () => splice(accept(), socket));
    socket.once('error', () => socket.connecting && reject());
  }

  private async listenTcp(
    info: ssh2.TcpipBindInfo,
    accept: ((port?: number) => void) | undefined,
    reject: () => void,
  ): Promise<void> {
    if (info.bindPort !== 0 && info.bindPort < 1024) return reject();
    if (this.tcp.size + this.unix.size >= MAX_LISTENERS) return reject();
    const server = createServer((socket) => {
      const port = this.portOf(server);
      this.client.forwardOut(
        info.bindAddr,
        port,
        socket.remoteAddress ?? '127.0.0.1',
        socket.remotePort ?? 0,
        (err, channel) => (err ? socket.destroy() : splice(channel, socket)),
      );
    });
    try {
      await new Promise<void>((ok, fail) => {
        server.once('error', fail);
        server.listen(info.bindPort, '127.0.0.1', () => ok());
      });
    } catch {
      return reject();
    }
    const port = this.portOf(server);
    this.tcp.set(`${info.bindAddr}:${port}`, server);
    this.options.log(`ssh: remote forward listening on 127.0.0.1:${port}`);
    accept?.(info.bindPort === 0 ? port : undefined);
  }

  private portOf(server: Server): number {
    const a = server.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  private cancelTcp(
    info: ssh2.TcpipBindInfo,
    accept: ((port?: number) => void) | undefined,
    reject: () => void,
  ): void {
    const key = `${info.bindAddr}:${info.bindPort}`;
    const server = this.tcp.get(key);
    if (!server) return reject();
    this.tcp.delete(key);
    server.close();
    accept?.();
  }

  private async listenUnix(
    info: ssh2.SocketBindInfo,
    accept: ((port?: number) => void) | undefined,
    reject: () => void,
  ): Promise<void> {
    const path = this.socketPath(info.socketPath);
    // As OpenSSH (StreamLocalBindUnlink no): an existing file is never replaced.
    if (existsSync(path) || this.unix.has(path) || !this.unixAllowed(path, true)) return reject();
    if (this.tcp.size + this.unix.size >= MAX_LISTENERS) return reject();
    const server = createServer((socket) =>
      this.client.openssh_forwardOutStreamLocal(info.socketPath, (err, channel) =>
        err ? socket.destroy() : splice(channel, socket),
      ),
    );
    try {
      await new Promise<void>((ok, fail) => {
        server.once('error', fail);
        server.listen(path, () => ok());
      });
      // Only the session's user may use it (OpenSSH's StreamLocalBindMask 0177).
      chmodSync(path, 0o600);
      if (this.options.user) chownSync(path, this.options.user.uid, this.options.user.gid);
    } catch {
      server.close();
      return reject();
    }
    this.unix.set(path, server);
    accept?.();
  }

  private cancelUnix(
    info: ssh2.SocketBindInfo,
    accept: ((port?: number) => void) | undefined,
    reject: () => void,
  ): void {
    const path = this.socketPath(info.socketPath);
    const server = this.unix.get(path);
    if (!server) return reject();
    this.closeUnix(path, server);
    accept?.();
  }

  private closeUnix(path: string, server: Server): void {
    this.unix.delete(path);
    server.close();
    try {
      if (lstatSync(path).isSocket()) unlinkSync(path);
    } catch {
      // already gone
    }
  }

  /** The connection ended: its listeners go with it. */
  close(): void {
    for (const server of this.tcp.values()) server.close();
    this.tcp.clear();
    for (const [path, server] of [...this.unix]) this.closeUnix(path, server);
  }
}
