import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERROR_CODES, isErrorCode, type ErrorCode, type Problem } from '../contracts';
import { DevcrewError } from '../core/errors';

/**
 * An error the API answers with: a code from the catalogue (contracts/error-codes.ts) users can match on,
 * the HTTP status the catalogue gives it, a message, and the problems.
 */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly problems?: Problem[],
  ) {
    super(message);
    this.status = ERROR_CODES[code].http;
  }
}

/**
 * The one place an error becomes an HTTP answer: a DevcrewError, or a Temporal failure whose cause
 * carries a catalogued type (an Update refused by the workflow), answers with the catalogue's status.
 * Anything else is undefined: the caller logs it and answers 500.
 */
export function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof DevcrewError) return new HttpError(err.code, err.message);
  let e = err as { cause?: unknown; type?: unknown; message?: string } | undefined;
  for (let depth = 0; e && depth < 5; depth++, e = e.cause as typeof e) {
    if (isErrorCode(e.type)) return new HttpError(e.type, e.message ?? e.type);
  }
  return undefined;
}

/** The body of every error response: `{ error: { code, message, problems? } }`, never a stack trace. */
export function errorBody(code: ErrorCode, message: string, problems?: Problem[]) {
  return { error: { code, message, ...(problems ? { problems } : {}) } };
}

/**
 * Requests Node refuses before the app sees them (headers too large, a malformed request line) still
 * get a JSON error, then the connection closes.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable) return socket.destroy();
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const code: ErrorCode = tooLarge ? 'HEADERS_TOO_LARGE' : 'BAD_HTTP_REQUEST';
    const status = ERROR_CODES[code].http;
    const body = JSON.stringify(
      errorBody(
        code,
        tooLarge
          ? 'the request line and headers are over the size limit (16 KB); send less in the URL and headers'
          : `the request is not valid HTTP (${err.code ?? 'parse error'})`,
      ),
    );
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
}
