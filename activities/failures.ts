import { ApplicationFailure } from '@temporalio/activity';
import { DevcrewError } from '../core/errors';

/**
 * The one place an error becomes the failure Temporal sees: a DevcrewError's code becomes
 * `ApplicationFailure.type`, its retryability comes from the catalogue (contracts/error-codes.ts), a
 * provider's Retry-After becomes the next retry's delay, and its structured evidence travels as details.
 * Anything else is left as is: Temporal retries it per the activity's policy.
 */
export function toActivityFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof DevcrewError) {
    return ApplicationFailure.create({
      type: err.code,
      message: err.message,
      nonRetryable: !err.retryable,
      ...(err.extra.retryAfterMs !== undefined ? { nextRetryDelay: err.extra.retryAfterMs } : {}),
      ...(err.extra.details !== undefined ? { details: [err.extra.details] } : {}),
    });
  }
  return err;
}

/** Runs an activity body, converting what it throws. */
export async function converting<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toActivityFailure(err);
  }
}
