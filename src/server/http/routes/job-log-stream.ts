import { StringDecoder } from 'node:string_decoder';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { currentAttempt, terminalStates } from '../../../domain/jobs/job-record.js';
import { logSourceJob } from '../../../domain/jobs/process-plan.js';
import { jobKey } from '../../jobs/job-key.js';
import type { LogAppend, LogFile } from '../../jobs/log-store.js';
import type { Services } from '../../services/services.js';

/**
 * Server-sent events of a job's log: what is stored first (from `offset`), then every append as
 * it arrives (no polling, so latency is the agent's batching plus one hop), following retries to
 * the new attempt; `status` events on changes; `end` once the job is terminal.
 */
export function streamJobLog(
  c: Context,
  services: Services,
  workspace: string,
  name: string,
  file: LogFile,
  fromOffset: number,
): Response {
  return streamSSE(c, async (stream) => {
    let job = await services.jobs.get(workspace, name);
    // A multi-node job's log is its rank 0's (a process's, the rank job of its node); its status is its own.
    const logName = logSourceJob(job, file);
    const key = jobKey(workspace, logName);
    let attempt =
      currentAttempt(logName === name ? job : await services.jobs.get(workspace, logName))?.attempt ?? 1;
    let sent = fromOffset;
    let decoder = new StringDecoder('utf8');
    const queue: (() => Promise<void>)[] = [];
    let wake: (() => void) | undefined;
    const push = (task: () => Promise<void>): void => {
      queue.push(task);
      wake?.();
    };
    const sendStored = async (): Promise<void> => {
      const data = services.ctx.logs.read(key, attempt, file, sent);
      if (data.length === 0) return;
      sent += data.length;
      await stream.writeSSE({
        event: 'log',
        data: JSON.stringify({ attempt, offset: sent - data.length, text: decoder.write(data) }),
      });
    };
    const onAppend = (a: LogAppend): void => {
      if (a.file === file && a.attempt === attempt) push(sendStored);
    };
    const onChange = (): void =>
      push(async () => {
        job = await services.jobs.get(workspace, name);
        const now = logName === name ? (currentAttempt(job)?.attempt ?? attempt) : attempt;
        if (now !== attempt) {
          await sendStored();
          attempt = now;
          sent = 0;
          decoder = new StringDecoder('utf8');
        }
        await stream.writeSSE({
          event: 'status',
          data: JSON.stringify({ status: job.status, reason: job.reason, attempt }),
        });
      });
    const offLog = services.ctx.logs.subscribe(key, onAppend);
    const offJob = services.ctx.signals.onJobChanged(jobKey(workspace, name), onChange);
    stream.onAbort(() => wake?.());
    try {
      await stream.writeSSE({
        event: 'status',
        data: JSON.stringify({ status: job.status, reason: job.reason, attempt }),
      });
      await sendStored();
      while (!stream.aborted && !terminalStates.has(job.status)) {
        const task = queue.shift();
        if (task) await task();
        else
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, 15_000);
          });
        if (!task) await stream.writeSSE({ event: 'ping', data: '{}' });
      }
      await sendStored();
      await stream.writeSSE({
        event: 'end',
        data: JSON.stringify({ status: job.status, exitCode: job.exitCode, error: job.error }),
      });
    } finally {
      offLog();
      offJob();
    }
  });
}
