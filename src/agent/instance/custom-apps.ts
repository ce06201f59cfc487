import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import type { AppReport, CustomAppConfig } from '../../domain/instances/instance.js';
import { killGroup } from './pty.js';

interface RunningApp {
  config: CustomAppConfig;
  child?: ChildProcess;
  forwarder?: Server;
  error?: string;
}

/**
 * Custom applications of an instance. A `command` app runs on the node with PORT set to its target
 * port, in its own folder where each bind mount appears at its target path (a link to the source);
 * its published port (8704–8993) is forwarded to the target port. Image apps need a container
 * runtime on the node.
 */
export class CustomApps {
  private readonly apps = new Map<string, RunningApp>();

  constructor(
    private readonly appsDir: string,
    private readonly env: Record<string, string>,
    private readonly containerRuntime: string | null,
  ) {}

  /** Starts what is configured and not running; stops what is no longer configured or changed. */
  reconcile(configs: CustomAppConfig[]): void {
    for (const [name, app] of this.apps) {
      const wanted = configs.find((c) => c.name === name);
      if (!wanted || JSON.stringify(wanted) !== JSON.stringify(app.config)) this.stopApp(name);
    }
    for (const config of configs)
      if (!this.apps.has(config.name)) this.apps.set(config.name, this.startApp(config));
  }

  private startApp(config: CustomAppConfig): RunningApp {
    if (!config.command) {
      return {
        config,
        error: this.containerRuntime
          ? `image applications are not supported by this agent yet (found ${this.containerRuntime})`
          : `image '${config.image ?? ''}' needs podman or docker on the node; none was found`,
      };
    }
    const dir = join(this.appsDir, config.name);
    mkdirSync(dir, { recursive: true });
    for (const m of config.mounts) {
      const at = join(dir, m.target.replace(/^\/+/, ''));
      mkdirSync(dirname(at), { recursive: true });
      if (!existsSync(at)) symlinkSync(m.source, at);
    }
    const log = createWriteStream(join(dir, 'app.log'), { flags: 'a' });
    const child = spawn('bash', ['-c', config.command], {
      cwd: dir,
      env: { ...this.env, ...config.environment, PORT: String(config.targetPort), HANGAR_APP_DIR: dir },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    const app: RunningApp = { config, child };
    child.on(
      'exit',
      (code, signal) => (app.error = `exited (${signal ?? `code ${code}`}); see ${join(dir, 'app.log')}`),
    );
    child.on('error', (err) => (app.error = err.message));
    app.forwarder = this.forward(app);
    return app;
  }

  private forward(app: RunningApp): Server {
    const server = createServer((socket) => {
      const upstream = connect(app.config.targetPort, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      const close = (): void => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on('error', close);
      upstream.on('error', close);
    });
    server.on('error', (err) => (app.error = `published port ${app.config.publishedPort}: ${err.message}`));
    server.listen(app.config.publishedPort, '0.0.0.0');
    return server;
  }

  private stopApp(name: string): void {
    const app = this.apps.get(name);
    if (app?.child) killGroup(app.child, 'SIGTERM');
    app?.forwarder?.close();
    this.apps.delete(name);
  }

  /** Target port of a running app (for the gateway). */
  portOf(name: string): number | undefined {
    const app = this.apps.get(name);
    return app?.child && app.child.exitCode === null && !app.error ? app.config.targetPort : undefined;
  }

  report(): AppReport[] {
    return [...this.apps.values()].map((a) => ({
      name: a.config.name,
      kind: 'custom' as const,
      port: a.config.targetPort,
      publishedPort: a.config.publishedPort,
      running: a.child !== undefined && a.child.exitCode === null && a.error === undefined,
      ...(a.error ? { error: a.error } : {}),
    }));
  }

  stopAll(): void {
    for (const name of [...this.apps.keys()]) this.stopApp(name);
  }
}
