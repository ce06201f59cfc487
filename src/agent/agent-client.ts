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
 * The agent's HTTP client. Network errors and 5xx are retried with backoff until `stopped()`
 * says so: a server restart (even kill -9) is ridden out silently.
 */
export class AgentClient {
  sessionToken: string | undefined;
  private readonly halt = new AbortController();

  constructor(
    readonly server: string,
    private readonly stopped: () => boolean,
    private readonly log: (line: string) => void,
  ) {}

  /** Ends calls in flight (a lease long-poll would otherwise hold a stopping agent for its whole wait). */
  abort(): void {
    this.halt.abort();
  }

  /** POSTs JSON (or GETs when body is undefined and method is GET); retries transient failures. */
  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 30_000): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(`${this.server}${path}`, {
          method,
          headers: { 'content-type': 'application/json', ...(this.sessionToken ? { authorization: `Bearer ${this.sessionToken}` } : {}) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.halt.signal]),
        });
        const text = await res.text();
        if (res.ok) return (text ? JSON.parse(text) : {}) as T;
        if (res.status < 500) {
          const err = (JSON.parse(text || '{}') as { error?: { code?: string; message?: string; details?: AgentCallError['details'] } }).error;
          throw new AgentCallError(res.status, err?.code ?? 'Error', err?.message ?? text, err?.details ?? []);
        }
        this.log(`server answered ${res.status} on ${path}; retrying`);
      } catch (err) {
        if (err instanceof AgentCallError) throw err;
        if (attempt === 0 || attempt % 10 === 0) this.log(`cannot reach ${this.server}${path} (${(err as Error).message}); retrying`);
      }
      if (this.stopped()) throw new Error('agent stopping');
      await sleep(backoffMs(attempt));
    }
  }
}
