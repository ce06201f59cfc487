import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { agentPath, agentPaths } from '../domain/nodes/agent-paths.js';
import type {
  AttemptStatusAck,
  AttemptStatusReport,
  HeartbeatRequest,
  HeartbeatResponse,
  LeaseRequest,
  LeaseResponse,
  LogChunk,
  LogChunkAck,
  LogLengthQuery,
  OutputsAck,
  OutputsReport,
  PreemptedRequest,
  PreemptedResponse,
  RegisterRequest,
  RegisterResponse,
} from '../domain/nodes/agent-protocol.js';

/** Thrown for answers the agent must not retry (4xx). */
export class AgentCallError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { code: string; target?: string; message: string }[] = [],
  ) {
    super(message);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Capped exponential backoff: 200 ms, 400 ms, … up to 5 s. */
export function backoffMs(attempt: number): number {
  return Math.min(5000, 200 * 2 ** Math.min(attempt, 10));
}

/**
 * The agent's HTTP client: one method per call of the agent protocol, typed by its schemas
 * (src/domain/nodes/agent-protocol.ts, whose `agentCalls` also gives every path). Network errors
 * and 5xx are retried with backoff until `stopped()` says so: a server restart (even kill -9) is
 * ridden out silently.
 */
export class AgentClient {
  sessionToken: string | undefined;
  private readonly halt = new AbortController();
  /**
   * Kept-alive connections to the server. node:http rather than fetch: every job costs at least
   * four calls, and fetch cost three times the CPU per call here (0.45–0.68 ms against
   * 0.13–0.23 ms), on a node whose cores the jobs need. Idle sockets close before the server's
   * keep-alive timeout (5 s), so a call never goes out on one the server is closing.
   */
  private readonly connections: HttpAgent;
  private readonly send: typeof httpRequest;

  constructor(
    readonly server: string,
    private readonly stopped: () => boolean,
    private readonly log: (line: string) => void,
  ) {
    const https = new URL(server).protocol === 'https:';
    const options = { keepAlive: true, timeout: 4000 };
    this.connections = https ? new HttpsAgent(options) : new HttpAgent(options);
    this.send = https ? httpsRequest : httpRequest;
  }

  /** Ends calls in flight (a lease long-poll would otherwise hold a stopping agent for its whole wait). */
  abort(): void {
    this.halt.abort();
    this.connections.destroy();
  }

  /** Exchanges the one-time node token for a session (the only call without the session token). */
  register(req: RegisterRequest): Promise<RegisterResponse> {
    return this.call('POST', agentPaths.register, req);
  }

  /** Liveness and running attempts; the answer says what to stop and whether to shut down. */
  heartbeat(req: HeartbeatRequest): Promise<HeartbeatResponse> {
    return this.call('POST', agentPaths.heartbeat, req);
  }

  /** Long poll for assigned attempts; `timeoutMs` must outlast the server's wait. */
  lease(req: LeaseRequest, timeoutMs: number): Promise<LeaseResponse> {
    return this.call('POST', agentPaths.lease, req, timeoutMs);
  }

  /** A phase change of one attempt. */
  reportStatus(jobId: string, report: AttemptStatusReport): Promise<AttemptStatusAck> {
    return this.call('POST', agentPath(agentPaths.status, jobId), report);
  }

  /** A chunk of a log file at its byte offset; answers the length the server holds. */
  appendLog(jobId: string, chunk: LogChunk): Promise<LogChunkAck> {
    return this.call('POST', agentPath(agentPaths.logChunk, jobId), chunk);
  }

  /** The length the server holds of a log file (where shipping resumes). */
  logLength(jobId: string, query: LogLengthQuery): Promise<LogChunkAck> {
    const search = new URLSearchParams({ attempt: String(query.attempt), file: query.file });
    return this.call('GET', `${agentPath(agentPaths.logLength, jobId)}?${search.toString()}`);
  }

  /** The manifest of an attempt's ./outputs, whose blobs were uploaded first. */
  reportOutputs(jobId: string, report: OutputsReport): Promise<OutputsAck> {
    return this.call('POST', agentPath(agentPaths.outputs, jobId), report);
  }

  /** The backend is taking this node back (Slurm preemption). */
  preempted(req: PreemptedRequest, timeoutMs: number): Promise<PreemptedResponse> {
    return this.call('POST', agentPaths.preempted, req, timeoutMs);
  }

  /** POSTs JSON (or GETs when body is undefined and method is GET); retries transient failures. */
  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    timeoutMs = 30_000,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.exchange(
          method,
          path,
          body === undefined ? undefined : JSON.stringify(body),
          timeoutMs,
        );
        const text = res.text;
        if (res.status >= 200 && res.status < 300) return (text ? JSON.parse(text) : {}) as T;
        if (res.status < 500) {
          const err = (
            JSON.parse(text || '{}') as {
              error?: { code?: string; message?: string; details?: AgentCallError['details'] };
            }
          ).error;
          throw new AgentCallError(
            res.status,
            err?.code ?? 'Error',
            err?.message ?? text,
            err?.details ?? [],
          );
        }
        this.log(`server answered ${res.status} on ${path}; retrying`);
      } catch (err) {
        if (err instanceof AgentCallError) throw err;
        if (attempt === 0 || attempt % 10 === 0)
          this.log(`cannot reach ${this.server}${path} (${(err as Error).message}); retrying`);
      }
      if (this.stopped()) throw new Error('agent stopping');
      await sleep(backoffMs(attempt));
    }
  }

  /** One request and its whole answer; rejects on a network error, on timeout and on abort(). */
  private exchange(
    method: 'GET' | 'POST',
    path: string,
    body: string | undefined,
    timeoutMs: number,
  ): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { 'content-type': 'application/json' };
      if (this.sessionToken) headers.authorization = `Bearer ${this.sessionToken}`;
      if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
      const req = this.send(`${this.server}${path}`, {
        method,
        headers,
        agent: this.connections,
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.halt.signal]),
      });
      req.once('error', reject);
      req.once('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('error', reject);
        res.once('aborted', () => reject(new Error('the server closed the connection mid-answer')));
        res.once('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
      });
      req.end(body);
    });
  }
}
