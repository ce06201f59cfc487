import { errorCatalogue, type ErrorCode } from './error-catalogue.js';

/** One problem inside an error's `details`: which field, which rule, which value. */
export interface ErrorDetail {
  /** A catalogue code (ErrorCode) for top-level errors; details may carry finer rule names. */
  code: string;
  message: string;
  target?: string;
  details?: ErrorDetail[];
}

/** The one error shape: `{"error":{"code","message","target","details"}}`. */
export interface ErrorBody {
  error: { code: string; message: string; target?: string; details?: ErrorDetail[] };
}

/** A domain error that carries a catalogue code; HTTP maps it to the catalogue's status. */
export class HangarError extends Error {
  /** Seconds after which a retry may succeed (TooManyRequests): answered as the `Retry-After` header. */
  retryAfterSeconds?: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly target?: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'HangarError';
  }

  /** HTTP status from the catalogue. */
  get status(): number {
    return errorCatalogue[this.code].status;
  }

  toBody(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message };
    if (this.target !== undefined) error.target = this.target;
    if (this.details.length > 0) error.details = this.details;
    return { error };
  }
}

/** One rule broken by one value; collected so a caller sees every problem at once. */
export interface Problem {
  code: ErrorCode;
  target: string;
  message: string;
}

/** Throws ValidationFailed listing every problem (or the single problem's own code). */
export function throwIfProblems(problems: Problem[]): void {
  const [first] = problems;
  if (first === undefined) return;
  if (problems.length === 1) throw new HangarError(first.code, first.message, first.target);
  throw new HangarError(
    'ValidationFailed',
    `${problems.length} problems: ${problems.map((p) => p.message).join('; ')}`,
    first.target,
    problems.map((p) => ({ code: p.code, message: p.message, target: p.target })),
  );
}

/** Shorthand for a 404 naming the kind and name. */
export function notFound(kind: string, name: string, where?: string): HangarError {
  return new HangarError('NotFound', `${kind} '${name}' was not found${where ? ` in ${where}` : ''}.`, name);
}
