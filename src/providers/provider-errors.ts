/**
 * Why a backend did not do what a provider asked, as one of four kinds with their retry rules.
 * Callers match on `kind` (or `retryable`/`retryAfterMs`), never on a class name or message text;
 * `message` carries the backend's own words for people.
 *
 * | kind          | meaning                                              | retry                                           |
 * |---------------|------------------------------------------------------|-------------------------------------------------|
 * | `refused`     | the backend said no (invalid partition, QOS limit,   | not retryable: the same request gets the same   |
 * |               | Node.js too old, command missing)                    | answer until the compute or the backend changes |
 * | `unreachable` | the network or the backend's service is down         | retryable, with exponential backoff             |
 * |               | (ECONNREFUSED, timeouts, slurmctld not answering)    |                                                 |
 * | `capacity`    | no room now (disk full, too many jobs, EAGAIN)       | retryable after `retryAfterMs`                  |
 * | `credentials` | login failed, host key changed, no login details     | not retryable until the compute's credentials   |
 * |               |                                                      | (or the machine's keys) are updated             |
 */
export type ProviderErrorKind = 'refused' | 'unreachable' | 'capacity' | 'credentials';

/** How long to wait after a `capacity` error when the backend gave no hint. */
export const CAPACITY_RETRY_AFTER_MS = 10_000;

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  /** Whether asking again unchanged may succeed (unreachable, capacity); refusals and bad credentials need a change first. */
  readonly retryable: boolean;
  /** For `capacity`: when to ask again (ms). Absent: back off exponentially (unreachable) or wait for a change. */
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly kind: ProviderErrorKind,
    /** The backend's own words (what a person reads on the compute). */
    message: string,
    options: { cause?: unknown; retryAfterMs?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = kind === 'unreachable' || kind === 'capacity';
    this.retryAfterMs = kind === 'capacity' ? (options.retryAfterMs ?? CAPACITY_RETRY_AFTER_MS) : undefined;
  }
}

export function isProviderError(err: unknown): err is ProviderError {
  return err instanceof ProviderError;
}

/** errno codes of a failed system call (spawn, a file write) and the kind each means. */
const systemKinds: Record<string, ProviderErrorKind> = {
  ECONNREFUSED: 'unreachable',
  ECONNRESET: 'unreachable',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  ETIMEDOUT: 'unreachable',
  ENOTFOUND: 'unreachable',
  EAI_AGAIN: 'unreachable',
  EPIPE: 'unreachable',
  EAGAIN: 'capacity',
  ENOMEM: 'capacity',
  ENOSPC: 'capacity',
  EDQUOT: 'capacity',
  EMFILE: 'capacity',
  ENFILE: 'capacity',
  EACCES: 'refused',
  EPERM: 'refused',
  ENOENT: 'refused',
  EROFS: 'refused',
};

/**
 * A failed system call (spawn, mkdir, write) as a ProviderError: `what` says what was being done,
 * the system's words follow. A ProviderError passes through unchanged.
 */
export function fromSystemError(err: unknown, what: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const code = (err as { code?: unknown } | undefined)?.code;
  const kind = (typeof code === 'string' ? systemKinds[code] : undefined) ?? 'refused';
  return new ProviderError(kind, `${what}: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
  });
}
