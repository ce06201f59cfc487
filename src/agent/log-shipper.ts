import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import type { LogChunk } from '../domain/nodes/agent-protocol.js';
import { AgentCallError, type AgentClient } from './agent-client.js';

const maxChunk = 256 * 1024;

/**
 * Ships a growing log file to the server in chunks tagged with byte offsets. It polls every
 * `intervalMs` (20 ms keeps end-to-end latency well under 100 ms); on a gap the server names the
 * length it holds and shipping resumes there, so nothing is lost or duplicated.
 */
export class LogShipper {
  private acked = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> | undefined;

  constructor(
    private readonly client: AgentClient,
    private readonly jobId: string,
    private readonly attempt: number,
    private readonly file: LogChunk['file'],
    private readonly path: string,
    private readonly intervalMs = 20,
  ) {}

  start(): void {
    const tick = (): void => {
      this.busy ??= this.shipOnce()
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => (this.busy = undefined));
      this.timer = setTimeout(tick, this.intervalMs);
    };
    tick();
  }

  private read(): Buffer {
    if (!existsSync(this.path)) return Buffer.alloc(0);
    const size = statSync(this.path).size;
    const n = Math.min(maxChunk, size - this.acked);
    if (n <= 0) return Buffer.alloc(0);
    const buf = Buffer.alloc(n);
    const fd = openSync(this.path, 'r');
    try {
      readSync(fd, buf, 0, n, this.acked);
    } finally {
      closeSync(fd);
    }
    return buf;
  }

  /** Sends what is new; returns true when something was sent. */
  private async shipOnce(): Promise<boolean> {
    const data = this.read();
    if (data.length === 0) return false;
    const chunk: LogChunk = {
      attempt: this.attempt,
      file: this.file,
      offset: this.acked,
      data: data.toString('base64'),
    };
    try {
      const ack = await this.client.appendLog(this.jobId, chunk);
      this.acked = ack.length;
    } catch (err) {
      if (err instanceof AgentCallError && err.code === 'LogGap')
        this.acked = Number(err.details[0]?.message ?? 0);
      else throw err;
    }
    return true;
  }

  /** Stops polling after sending everything written so far. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.busy?.catch(() => undefined);
    while (await this.shipOnce().catch(() => false)) {
      /* until the server holds the whole file */
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
