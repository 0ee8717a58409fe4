import { ApplicationFailure } from '@temporalio/common';
import type { ErrorCode, ErrorFields } from '../contracts/error-codes';
import { DevcrewError } from './errors';

/**
 * The one place a DevcrewError becomes the failure Temporal sees, in an activity (activities/failures.ts)
 * and in workflow code (`workflowFailure` below) alike: its code becomes `ApplicationFailure.type`, its
 * message (`[CODE] evidence; hint`) the message, its retryability comes from the catalogue
 * (contracts/error-codes.ts), a provider's Retry-After becomes the next retry's delay, and the details are
 * `[fields]`, or `[fields, evidence]` when it carries structured evidence (problems, findings).
 * Pure (no Node imports): Temporal bundles it into the workflows.
 */
export function toApplicationFailure(err: DevcrewError): ApplicationFailure {
  const { fields, details, retryAfterMs } = err.extra;
  return ApplicationFailure.create({
    type: err.code,
    message: err.message,
    nonRetryable: !err.retryable,
    ...(retryAfterMs !== undefined ? { nextRetryDelay: retryAfterMs } : {}),
    ...(details !== undefined
      ? { details: [fields ?? {}, details] }
      : fields !== undefined
        ? { details: [fields] }
        : {}),
  });
}

/**
 * A failure raised by workflow code (a refused Update, a task that failed its tests, a refused budget):
 * `[CODE] evidence`, with the ids it is about as typed fields.
 */
export function workflowFailure(
  code: ErrorCode,
  evidence: string,
  fields?: ErrorFields,
  /** Structured evidence (e.g. a TodoList's problems): the failure's second detail. */
  details?: unknown,
): ApplicationFailure {
  return toApplicationFailure(
    new DevcrewError(code, evidence, undefined, {
      ...(fields ? { fields } : {}),
      ...(details !== undefined ? { details } : {}),
    }),
  );
}
