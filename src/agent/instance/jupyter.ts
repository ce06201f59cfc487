import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { killGroup } from './pty.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Jupyter Notebook on the instance, started on first use (Debian's `jupyter-notebook`), listening
 * on loopback with a token only the node's gateway knows, served under the public app path.
 */
export class JupyterApp {
  private child: ChildProcess | undefined;
  private starting: Promise<number> | undefined;
  port: number | undefined;
  error: string | undefined;

  constructor(
    private readonly command: string,
    private readonly home: string,
    private readonly logDir: string,
    /** Public path prefix, e.g. /apps/default/alice-dev/jupyter/ */
    readonly baseUrl: string,
    readonly token: string,
    private readonly env: Record<string, string>,
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.port !== undefined;
  }

  /** Starts Jupyter if it is not running and answers its port once `GET api` answers. */
  ensure(): Promise<number> {
    if (this.running && this.port !== undefined) return Promise.resolve(this.port);
    this.starting ??= this.start().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async start(): Promise<number> {
    const port = await freePort();
    const args = [
      '--no-browser',
      '--ip=127.0.0.1',
      `--port=${port}`,
      `--NotebookApp.token=${this.token}`,
      `--NotebookApp.base_url=${this.baseUrl}`,
      `--notebook-dir=${this.home}`,
      '--NotebookApp.allow_origin=*',
      ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
    ];
    const log = createWriteStream(join(this.logDir, 'jupyter.log'), { flags: 'a' });
    const child = spawn(this.command, args, {
      cwd: this.home,
      env: this.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.child = child;
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (err) =>
        reject(
          new Error(
            `cannot start ${this.command}: ${err.message} (install Debian's jupyter-notebook on the node)`,
          ),
        ),
      );
      child.once('exit', (code) =>
        reject(new Error(`${this.command} exited with code ${code}; see jupyter.log in the instance folder`)),
      );
    });
    failed.catch(() => undefined);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const ok = await Promise.race([this.answers(port), failed]).catch((err: Error) => {
        this.error = err.message;
        throw err;
      });
      if (ok) {
        this.port = port;
        this.error = undefined;
        return port;
      }
      await sleep(250);
    }
    killGroup(child);
    this.error = `${this.command} did not answer within 60 s`;
    throw new Error(this.error);
  }

  private async answers(port: number): Promise<boolean> {
    try {
      const res = await fetch(`http://127.0.0.1:${port}${this.baseUrl}api`, {
        headers: { authorization: `token ${this.token}` },
      });
      return res.ok;
    } catch {
      return false;
    }
  }

  /** Kernels open now (each is activity), or 0 when Jupyter is not running. */
  async kernels(): Promise<number> {
    if (!this.running) return 0;
    try {
      const res = await fetch(`http://127.0.0.1:${this.port}${this.baseUrl}api/kernels`, {
        headers: { authorization: `token ${this.token}` },
      });
      return res.ok ? ((await res.json()) as unknown[]).length : 0;
    } catch {
      return 0;
    }
  }

  stop(): void {
    if (this.child) killGroup(this.child, 'SIGTERM');
    this.child = undefined;
    this.port = undefined;
  }
}
