import { closeSync, constants, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CarriedLog, LogChunk } from '../domain/nodes/agent-protocol.js';
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
    /** When set, `path` is relative to this folder and lies in the job's own files (see openInside). */
    private readonly jobRoot?: string,
  ) {}

  start(): void {
    const tick = (): void => {
      this.kick();
      this.timer = setTimeout(tick, this.intervalMs);
    };
    tick();
  }

  /** Ships what is new now rather than at the next poll (unless a chunk is on its way already). */
  kick(): void {
    this.busy ??= this.shipOnce()
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => (this.busy = undefined));
  }

  private read(limit = maxChunk): Buffer {
    if (this.jobRoot === undefined && !existsSync(this.path)) return Buffer.alloc(0);
    const fd = this.jobRoot === undefined ? openSync(this.path, 'r') : openInside(this.jobRoot, this.path);
    if (fd === undefined) return Buffer.alloc(0);
    try {
      const size = this.jobRoot === undefined ? statSync(this.path).size : fstatSync(fd).size;
      const n = Math.min(limit, size - this.acked);
      if (n <= 0) return Buffer.alloc(0);
      const buf = Buffer.alloc(n);
      const got = readSync(fd, buf, 0, n, this.acked);
      return buf.subarray(0, got);
    } finally {
      closeSync(fd);
    }
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

  /** Stops polling and waits for the chunk on its way, if any: what is left is then unsent(). */
  async settle(): Promise<void> {
    this.stop();
    await this.busy?.catch(() => undefined);
  }

  /**
   * The bytes not sent yet, as a final report carries them (see CarriedLog); undefined when there
   * are none, 'too long' when there are more than `limit`.
   */
  unsent(limit: number): CarriedLog | 'too long' | undefined {
    const data = this.read(limit + 1);
    if (data.length === 0) return undefined;
    if (data.length > limit) return 'too long';
    return { file: this.file, offset: this.acked, data: data.toString('base64') };
  }

  /** Stops polling after sending everything written so far. */
  async flush(): Promise<void> {
    await this.settle();
    while (await this.shipOnce().catch(() => false)) {
      /* until the server holds the whole file */
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * Opens `relPath` under `root` for reading when every part of it is a real folder and the last a
 * regular file, never following a link: the job owns these files and could swap one for a link to
 * what only the agent may read. Each folder is opened by descriptor and the next part looked up in
 * it (/proc/self/fd), so a swap between checks cannot redirect the read. Undefined when absent or
 * not a plain file.
 */
export function openInside(root: string, relPath: string): number | undefined {
  const parts = relPath.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) return undefined;
  const flags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  let dir: number | undefined;
  try {
    dir = openSync(root, constants.O_RDONLY | constants.O_DIRECTORY);
    for (const [i, part] of parts.entries()) {
      const last = i === parts.length - 1;
      const next = openSync(join(`/proc/self/fd/${dir}`, part), last ? flags : flags | constants.O_DIRECTORY);
      closeSync(dir);
      dir = next;
    }
    if (!fstatSync(dir).isFile()) return undefined;
    const fd = dir;
    dir = undefined;
    return fd;
  } catch {
    return undefined;
  } finally {
    if (dir !== undefined) closeSync(dir);
  }
}
