/**
 * Whether a failed step is tried again, decided from the error and the attempt alone (no I/O, no clock of
 * its own), so the activity that applies it stays small and the rule is tested on its own.
 *
 * - A transient provider error (rate limited, 5xx, timeout, cut connection) is retried, after the
 *   provider's Retry-After when it sent one, until DEVCREW_MODEL_RETRY_WINDOW_SECONDS have passed since the
 *   step's first attempt was scheduled; then the step fails, naming the provider, how long it failed and
 *   the variable. The task's `max_retries` does not count these attempts: it is for the agent's own work.
 * - Any other retryable error is retried until the task's `max_retries` is spent.
 * - A non-retryable error fails at once, as it is.
 */
import { codedMessage } from '../contracts/error-codes';

/** Model failures worth waiting out; the same set as RETRYABLE_MODEL_ERRORS. */
export const PROVIDER_WAIT_TYPES = ['MODEL_UNAVAILABLE', 'MODEL_RATE_LIMITED'] as const;

export interface FailedAttempt {
  /** The error's code (ApplicationFailure type), e.g. MODEL_UNAVAILABLE. */
  type: string;
  /** Its message, e.g. "[MODEL_UNAVAILABLE] Gemini (gemini-3.8-flash at ...) failed (500): ...". */
  message: string;
  retryable: boolean;
  /** A transient error of the model provider (rather than of devcrew's own work). */
  provider: boolean;
  /** The provider's Retry-After. */
  retryAfterMs?: number;
}

export interface AttemptClock {
  /** Temporal's attempt number, from 1. */
  attempt: number;
  /** When the step's first attempt was scheduled: Temporal's `info.scheduledTimestampMs`. */
  firstScheduledMs: number;
  nowMs: number;
}

export type RetryDecision =
  | {
      retry: true;
      type: string;
      message: string;
      /** Wait this long before the next attempt (the provider's Retry-After); else Temporal's backoff. */
      nextRetryDelayMs?: number;
    }
  | { retry: false; type: string; message: string };

export function decideRetry(o: {
  error: FailedAttempt;
  clock: AttemptClock;
  /** DEVCREW_MODEL_RETRY_WINDOW_SECONDS. */
  windowSeconds: number;
  /** The task's max_retries: attempts beyond the first for errors that are not the provider's. */
  maxRetries: number;
}): RetryDecision {
  const { error, clock } = o;
  if (!error.retryable) return { retry: false, type: error.type, message: error.message };
  if (!error.provider) {
    if (clock.attempt >= o.maxRetries + 1) {
      return {
        retry: false,
        type: error.type,
        message: `${error.message} (gave up after ${clock.attempt} attempt(s): the task allows max_retries ${o.maxRetries})`,
      };
    }
    return { retry: true, type: error.type, message: error.message };
  }
  const elapsedMs = Math.max(0, clock.nowMs - clock.firstScheduledMs);
  const windowMs = o.windowSeconds * 1000;
  const waitMs = error.retryAfterMs ?? 0;
  const seconds = (ms: number) => Math.round(ms / 1000);
  if (elapsedMs + waitMs >= windowMs) {
    const why = elapsedMs < windowMs ? `it asked to wait ${seconds(waitMs)} s more, past` : `longer than`;
    return {
      retry: false,
      type: 'MODEL_RETRY_WINDOW_EXCEEDED',
      message: codedMessage(
        'MODEL_RETRY_WINDOW_EXCEEDED',
        `the model provider kept failing for ${seconds(elapsedMs)} s over ` +
          `${clock.attempt} attempt(s), ${why} DEVCREW_MODEL_RETRY_WINDOW_SECONDS=${o.windowSeconds}; ` +
          `the last error: ${error.message}. Check the provider's status, or raise DEVCREW_MODEL_RETRY_WINDOW_SECONDS`,
      ),
    };
  }
  return {
    retry: true,
    type: error.type,
    message: `${error.message} (attempt ${clock.attempt}; failing for ${seconds(elapsedMs)} s of the ${o.windowSeconds} s DEVCREW_MODEL_RETRY_WINDOW_SECONDS)`,
    ...(error.retryAfterMs !== undefined ? { nextRetryDelayMs: error.retryAfterMs } : {}),
  };
}
