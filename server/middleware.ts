import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';
import { problemsFromZod } from '../contracts';
import { errorBody, HttpError, toHttpError } from './http-error';

/** Parses a body with a contract; a 400 lists every problem with its JSON path. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    const problems = problemsFromZod(parsed.error);
    throw new HttpError('INVALID_REQUEST', `the request body has ${problems.length} problem(s)`, problems);
  }
  return parsed.data;
}

export const notFound: RequestHandler = (req, _res, next) =>
  next(new HttpError('NOT_FOUND', `no route ${req.method} ${req.path}; see GET /openapi.json`));

/** Turns every error into the JSON error body; unexpected ones are logged, not shown. */
export function errorHandler(log: (message: string) => void): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    const known = toHttpError(err);
    if (known) {
      res.status(known.status).json(errorBody(known.code, known.message, known.problems));
      return;
    }
    const e = err as { type?: string; status?: number; expose?: boolean; message?: string };
    if (e.type === 'entity.too.large') {
      res.status(413).json(errorBody('BODY_TOO_LARGE', 'the request body is over the size limit (1 MB)'));
      return;
    }
    if (e.type === 'entity.parse.failed') {
      res
        .status(400)
        .json(errorBody('INVALID_JSON', `the request body is not valid JSON: ${e.message ?? ''}`));
      return;
    }
    if (e.status && e.status >= 400 && e.status < 500 && e.expose) {
      res.status(e.status).json(errorBody('BAD_REQUEST', e.message ?? 'bad request'));
      return;
    }
    log(`unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    res.status(500).json(errorBody('INTERNAL', 'internal error; see the server log'));
  };
}
