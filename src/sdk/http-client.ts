import type { ErrorCode } from '../domain/errors/error-catalogue.js';
import type { ErrorBody } from '../domain/errors/hangar-error.js';

/** Codes the client itself gives: the server could not be reached, or answered without the error shape. */
export type ClientErrorCode = 'ServerUnreachable' | `Http${number}`;

/** The server's one error shape (its code from the catalogue), or the client's own. */
export type ApiErrorBody = Omit<ErrorBody['error'], 'code'> & { code: ErrorCode | ClientErrorCode };

/** An error answer of the Hangar API, carrying status and the server's error body. */
export class HangarApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: ApiErrorBody,
  ) {
    super(`${error.code}: ${error.message}`);
    this.name = 'HangarApiError';
  }
}

/** Where and how to reach a Hangar server. */
export interface ClientOptions {
  url: string;
  token?: string;
  workspace?: string;
}

/** A thin fetch wrapper: JSON in and out, errors as HangarApiError, list paging via nextLink. */
export class HttpClient {
  readonly url: string;

  constructor(private readonly options: ClientOptions) {
    this.url = options.url.replace(/\/$/, '');
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}), ...extra };
  }

  /** Sends a request; answers the parsed JSON body (undefined for 204). */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(path.startsWith('http') ? path : `${this.url}${path}`, {
        method,
        headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new HangarApiError(0, {
        code: 'ServerUnreachable',
        message: `cannot reach the Hangar server at ${this.url} (${(err as Error).cause ? String((err as { cause: Error }).cause.message) : (err as Error).message}); start it with \`hangar server\` or set HANGAR_URL`,
      });
    }
    return this.parse<T>(res);
  }

  /** Raw response for streams and bytes (errors still become HangarApiError). */
  async raw(method: string, path: string): Promise<Response> {
    const res = await fetch(`${this.url}${path}`, { method, headers: this.headers() });
    if (!res.ok) await this.parse(res);
    return res;
  }

  private async parse<T>(res: Response): Promise<T> {
    const text = await res.text();
    if (res.ok) return (text ? JSON.parse(text) : undefined) as T;
    let error: ApiErrorBody = { code: `Http${res.status}`, message: text || res.statusText };
    try {
      const parsed = JSON.parse(text) as { error?: ApiErrorBody };
      if (parsed.error) error = parsed.error;
    } catch {
      /* not JSON */
    }
    throw new HangarApiError(res.status, error);
  }

  /** Every item of a paged list, following nextLink (at most `max` items). */
  async listAll<T>(path: string, max = Number.POSITIVE_INFINITY): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined = path;
    while (next && items.length < max) {
      const page: { value: T[]; nextLink?: string } = await this.request('GET', next);
      items.push(...page.value);
      next = page.nextLink;
    }
    return items.slice(0, max);
  }
}
