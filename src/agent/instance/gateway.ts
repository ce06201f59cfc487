import {
  request as httpRequest,
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { CustomApps } from './custom-apps.js';
import type { JupyterApp } from './jupyter.js';
import { spawnPty } from './pty.js';
import { asSessionUser, type SessionUser } from './session-env.js';
import { resizeOf } from './terminal-messages.js';

/** What the gateway needs from the instance runtime. */
export interface GatewayDeps {
  /** Public path prefix of the instance's apps, e.g. /apps/default/alice-dev/ */
  prefix: string;
  token: string;
  jupyter: JupyterApp;
  apps: CustomApps;
  home: string;
  sessionEnv: Record<string, string>;
  /** The OS account terminals run as (undefined: the agent's own). */
  sessionUser: SessionUser | undefined;
}

/**
 * The node's one door for its applications: the server's proxy sends every app request here with
 * the app token. /jupyter/… goes to Jupyter (started on first use), /terminal is a pty over a
 * WebSocket (a resize message resizes it), /<custom app>/… goes to that app's target port.
 */
export class AppGateway {
  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly terminals = new Set<WebSocket>();

  constructor(private readonly deps: GatewayDeps) {
    this.server = createServer((req, res) => void this.onRequest(req, res));
    this.server.on('upgrade', (req, socket: Socket, head) => void this.onUpgrade(req, socket, head));
  }

  async listen(host: string): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, host, resolve));
    return (this.server.address() as AddressInfo).port;
  }

  get terminalCount(): number {
    return this.terminals.size;
  }

  private route(req: IncomingMessage): { app: string; rest: string } | 'unauthorized' | undefined {
    if (req.headers['x-hangar-app-token'] !== this.deps.token) return 'unauthorized';
    const url = req.url ?? '/';
    if (!url.startsWith(this.deps.prefix)) return undefined;
    const after = url.slice(this.deps.prefix.length);
    const slash = after.search(/[/?]/);
    return {
      app: slash < 0 ? after : after.slice(0, slash),
      rest: slash < 0 ? '/' : after.slice(slash).replace(/^\?/, '/?'),
    };
  }

  private async target(
    app: string,
    rest: string,
    url: string,
  ): Promise<{ port: number; path: string; auth?: string } | string> {
    if (app === 'jupyter') {
      try {
        return {
          port: await this.deps.jupyter.ensure(),
          path: url,
          auth: `token ${this.deps.jupyter.token}`,
        };
      } catch (err) {
        return (err as Error).message;
      }
    }
    const port = this.deps.apps.portOf(app);
    return port === undefined ? `application '${app}' is not running on this instance` : { port, path: rest };
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const r = this.route(req);
    if (r === 'unauthorized') return void res.writeHead(401).end('missing or wrong app token');
    if (!r) return void res.writeHead(404).end('not an application path');
    const t = await this.target(r.app, r.rest, req.url ?? '/');
    if (typeof t === 'string') return void res.writeHead(503, { 'content-type': 'text/plain' }).end(t);
    const headers: Record<string, string | string[] | undefined> = {
      ...req.headers,
      host: `127.0.0.1:${t.port}`,
      ...(t.auth ? { authorization: t.auth } : {}),
    };
    delete headers['x-hangar-app-token'];
    const upstream = httpRequest(
      { host: '127.0.0.1', port: t.port, path: t.path, method: req.method, headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (err) => (res.headersSent ? res.destroy() : res.writeHead(502).end(err.message)));
    req.pipe(upstream);
  }

  private async onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const r = this.route(req);
    if (r === 'unauthorized' || !r) return void socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
    if (r.app === 'terminal')
      return this.wss.handleUpgrade(req, socket, head, (ws) => this.terminal(ws, req));
    const t = await this.target(r.app, r.rest, req.url ?? '/');
    if (typeof t === 'string') return void socket.end(`HTTP/1.1 503 Service Unavailable\r\n\r\n${t}`);
    // A raw tunnel: the upgrade request is replayed to the app, then bytes flow both ways.
    const upstream = connect(t.port, '127.0.0.1', () => {
      const lines = [`${req.method ?? 'GET'} ${t.path} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i] ?? '';
        if (/^(x-hangar-app-token|authorization|host)$/i.test(name)) continue;
        lines.push(`${name}: ${req.rawHeaders[i + 1] ?? ''}`);
      }
      lines.push(`Host: 127.0.0.1:${t.port}`);
      if (t.auth) lines.push(`Authorization: ${t.auth}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    const close = (): void => {
      socket.destroy();
      upstream.destroy();
    };
    upstream.on('error', close);
    socket.on('error', close);
  }

  private terminal(ws: WebSocket, req: IncomingMessage): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const rows = Number(url.searchParams.get('rows') ?? 24);
    const cols = Number(url.searchParams.get('cols') ?? 80);
    const user = this.deps.sessionUser;
    const pty = spawnPty(
      { rows, cols },
      asSessionUser(['bash', '-il'], user),
      this.deps.sessionEnv,
      this.deps.home,
      user,
    );
    const shell = pty.child;
    this.terminals.add(ws);
    shell.stdout?.on('data', (d: Buffer) => ws.send(d));
    shell.stderr?.on('data', (d: Buffer) => ws.send(d));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const resize = isBinary ? undefined : resizeOf(data.toString('utf8'));
      if (resize) pty.resize(resize);
      else shell.stdin?.write(data);
    });
    shell.on('exit', () => ws.close());
    ws.on('close', () => {
      this.terminals.delete(ws);
      pty.end();
    });
  }

  async close(): Promise<void> {
    for (const ws of this.terminals) ws.terminate();
    (this.server as { closeAllConnections?: () => void }).closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
