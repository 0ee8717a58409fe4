import { ApplicationFailure } from '@temporalio/activity';
import { ArtifactStoreError } from '../artifacts/errors';
import { ModelError } from '../models/types';

/**
 * Turns an agent's error into the failure Temporal sees: its code becomes `ApplicationFailure.type`,
 * model errors keep their retryability (and Retry-After), store errors are never worth retrying.
 */
export function asActivityFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof ModelError) {
    return ApplicationFailure.create({
      type: err.code,
      message: err.message,
      nonRetryable: !err.retryable,
      ...(err.retryAfterMs !== undefined ? { nextRetryDelay: err.retryAfterMs } : {}),
    });
  }
  if (err instanceof ArtifactStoreError) {
    return ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: true });
  }
  return err;
}

/** Runs an activity body, converting what it throws. */
export async function converting<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asActivityFailure(err);
  }
}
