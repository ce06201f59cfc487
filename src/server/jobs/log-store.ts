import { EventEmitter } from 'node:events';
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { HangarError } from '../../domain/errors/hangar-error.js';
import { insufficientStorage, isDiskFull } from '../../domain/errors/storage-errors.js';
import { processLogRank } from '../../domain/jobs/process-plan.js';

/** The log files every attempt has (as in Azure ML's run folders). */
export const logFiles = ['user_logs/std_log.txt', 'system_logs/agent.txt'] as const;
/** One of the log files of an attempt: logFiles, or a distributed job's user_logs/std_log_process_<rank>.txt. */
export type LogFile = string;

/** Whether `file` names a log file an attempt may have (never a path leading elsewhere). */
export function isLogFile(file: string): boolean {
  return (logFiles as readonly string[]).includes(file) || processLogRank(file) !== undefined;
}

/** What the log file rule says, for errors naming it. */
export const logFileRule = `one of ${logFiles.join(', ')} or user_logs/std_log_process_<rank>.txt`;

/** A piece of log appended to a file (for live streams). */
export interface LogAppend {
  job: string;
  attempt: number;
  file: LogFile;
  offset: number;
  data: Buffer;
}

/** Opens a log file to append, making its folders first only when missing (most appends go to a file that exists). */
function openForAppend(p: string): number {
  try {
    return openSync(p, 'a');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dirname(p), { recursive: true });
    return openSync(p, 'a');
  }
}

/**
 * Durable job logs on disk: `<home>/jobs/<workspace>~<job>/<attempt>/<file>`. Appends carry the
 * byte offset the agent wrote them at, so a retried chunk is stored once (the overlap is trimmed)
 * and a gap is refused with the length held, from which the agent resends.
 */
export class LogStore {
  private readonly events = new EventEmitter();

  constructor(private readonly root: string) {
    mkdirSync(root, { recursive: true });
    this.events.setMaxListeners(0);
  }

  private path(job: string, attempt: number, file: LogFile): string {
    // Names come from requests: only the known shapes ever become a path.
    if (!isLogFile(file))
      throw new HangarError('ValidationFailed', `file must be ${logFileRule}; got '${file}'.`, 'file');
    return join(this.root, job, String(attempt), file);
  }

  /** Bytes held for one file of one attempt. */
  length(job: string, attempt: number, file: LogFile): number {
    const p = this.path(job, attempt, file);
    return existsSync(p) ? statSync(p).size : 0;
  }

  /** Appends `data` written at `offset`; returns the new length. */
  append(job: string, attempt: number, file: LogFile, offset: number, data: Buffer): number {
    const p = this.path(job, attempt, file);
    try {
      return this.appendAt(p, job, attempt, file, offset, data);
    } catch (err) {
      // A full disk is said as such (507, naming the log), not as an internal error; the agent keeps the bytes and resends.
      if (isDiskFull(err))
        throw insufficientStorage(
          `${data.length} bytes of ${file} for attempt ${attempt} of job ${job}`,
          err,
          'file',
        );
      throw err;
    }
  }

  private appendAt(
    p: string,
    job: string,
    attempt: number,
    file: LogFile,
    offset: number,
    data: Buffer,
  ): number {
    const fd = openForAppend(p);
    try {
      const length = fstatSync(fd).size;
      if (offset > length) {
        throw new HangarError(
          'LogGap',
          `Log chunk for ${file} starts at byte ${offset} but the server holds ${length} bytes; resend from ${length}.`,
          'offset',
          [{ code: 'LogGap', target: 'length', message: String(length) }],
        );
      }
      const fresh = data.subarray(Math.min(data.length, length - offset));
      if (fresh.length > 0) {
        // writeSync may write less than asked (a disk filling up); what a throw leaves written is streamed, and a resend overlaps it.
        let done = 0;
        try {
          while (done < fresh.length) done += writeSync(fd, fresh, done);
        } finally {
          if (done > 0)
            this.events.emit(job, {
              job,
              attempt,
              file,
              offset: length,
              data: fresh.subarray(0, done),
            } satisfies LogAppend);
        }
      }
      return length + fresh.length;
    } finally {
      closeSync(fd);
    }
  }

  /** Reads `[offset, offset+max)` of a file (empty when absent). */
  read(job: string, attempt: number, file: LogFile, offset = 0, max = 8 * 1024 * 1024): Buffer {
    const p = this.path(job, attempt, file);
    if (!existsSync(p)) return Buffer.alloc(0);
    const size = statSync(p).size;
    const n = Math.max(0, Math.min(max, size - offset));
    const buf = Buffer.alloc(n);
    const fd = openSync(p, 'r');
    try {
      let done = 0;
      while (done < n) done += readSync(fd, buf, done, n - done, offset + done);
    } finally {
      closeSync(fd);
    }
    return buf;
  }

  /** The log files held for an attempt, std_log.txt first, processes by rank, the agent's last. */
  files(job: string, attempt: number): string[] {
    const dir = join(this.root, job, String(attempt), 'user_logs');
    const processes = existsSync(dir)
      ? readdirSync(dir)
          .map((f) => `user_logs/${f}`)
          .filter((f) => processLogRank(f) !== undefined)
          .sort((a, b) => (processLogRank(a) ?? 0) - (processLogRank(b) ?? 0))
      : [];
    return [
      ...(this.length(job, attempt, 'user_logs/std_log.txt') > 0 ? ['user_logs/std_log.txt'] : []),
      ...processes,
      ...(this.length(job, attempt, 'system_logs/agent.txt') > 0 ? ['system_logs/agent.txt'] : []),
    ];
  }

  /** Calls `listener` for every append to the job's logs until the returned function is called. */
  subscribe(job: string, listener: (a: LogAppend) => void): () => void {
    this.events.on(job, listener);
    return () => this.events.off(job, listener);
  }
}
