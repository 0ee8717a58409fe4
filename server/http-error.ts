import { ERROR_CODES, isErrorCode, type Problem } from '../contracts';
import { DevcrewError } from '../core/errors';

/** An error the API answers with: an HTTP status, a code users can match on, a message, and the problems. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems?: Problem[],
  ) {
    super(message);
  }
}

/**
 * The one place an error becomes an HTTP answer: a DevcrewError, or a Temporal failure whose cause
 * carries a catalogued type (an Update refused by the workflow), answers with the catalogue's status.
 * Anything else is undefined: the caller logs it and answers 500.
 */
export function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof DevcrewError) return new HttpError(err.httpStatus, err.code, err.message);
  let e = err as { cause?: unknown; type?: unknown; message?: string } | undefined;
  for (let depth = 0; e && depth < 5; depth++, e = e.cause as typeof e) {
    if (isErrorCode(e.type)) return new HttpError(ERROR_CODES[e.type].http, e.type, e.message ?? e.type);
  }
  return undefined;
}

/** The body of every error response: `{ error: { code, message, problems? } }`, never a stack trace. */
export function errorBody(code: string, message: string, problems?: Problem[]) {
  return { error: { code, message, ...(problems ? { problems } : {}) } };
}
