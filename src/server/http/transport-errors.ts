import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { RequestError } from '@hono/node-server';
import { HangarError } from '../../domain/errors/hangar-error.js';
import { insufficientStorage, isDiskFull } from '../../domain/errors/storage-errors.js';

/**
 * Errors that are not the server's fault but arrive as plain Node or SQLite errors (a full disk,
 * a malformed escape somewhere a library decodes) become catalogue errors; others stay unknown.
 */
export function knownError(err: unknown): HangarError | undefined {
  if (err instanceof HangarError) return err;
  if (isDiskFull(err)) {
    const path = (err as { path?: unknown }).path;
    return typeof path === 'string'
      ? insufficientStorage(path, err, path)
      : insufficientStorage(
          (err as { code?: unknown }).code === 'SQLITE_FULL'
            ? 'a change to its database (hangar.db)'
            : 'data',
          err,
        );
  }
  if (err instanceof URIError)
    return new HangarError(
      'MalformedRequest',
      `The request holds a malformed percent-escape: ${err.message}.`,
    );
  return undefined;
}

/** The raw bytes of an HTTP response in the one error shape (for answers written to a socket). */
export function rawErrorResponse(e: HangarError): string {
  const body = JSON.stringify(e.toBody());
  return `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/**
 * Node's HTTP parser refuses some requests before any route sees them (headers over the size
 * limit, a broken request line or header, a request too slow to arrive) and would answer with an
 * empty body. This answers them in the one error shape instead; the connection is then closed.
 */
export function answerClientError(
  maxHeaderBytes: number,
): (err: Error & { code?: string }, socket: Duplex) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    let e: HangarError;
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      e = new HangarError(
        'RequestHeaderTooLarge',
        `The request's headers (cookies included) are larger than the ${maxHeaderBytes} bytes this server accepts.`,
        '(headers)',
      );
    } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_HEADERS_TIMEOUT') {
      e = new HangarError('RequestTimeout', 'The request did not arrive in time; the connection is closed.');
    } else {
      e = new HangarError(
        'MalformedRequest',
        `The HTTP request could not be parsed (${err.code ?? 'parse error'}: ${err.message}).`,
      );
    }
    socket.end(rawErrorResponse(e));
  };
}

/**
 * The answer when @hono/node-server cannot turn a request into a Request (a bad Host header, a
 * backslash in the path, …): 400 in the one error shape, not an empty body.
 */
export function requestErrorResponse(err: unknown): Response {
  const e =
    knownError(err) ??
    (err instanceof RequestError
      ? new HangarError('MalformedRequest', `The request could not be read: ${err.message}.`)
      : new HangarError('InternalError', 'An unexpected error happened; the server log has the details.'));
  return Response.json(e.toBody(), { status: e.status });
}
