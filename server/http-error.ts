import type { Problem } from '../contracts';

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

/** The body of every error response: `{ error: { code, message, problems? } }`, never a stack trace. */
export function errorBody(code: string, message: string, problems?: Problem[]) {
  return { error: { code, message, ...(problems ? { problems } : {}) } };
}
