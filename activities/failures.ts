import { ApplicationFailure } from '@temporalio/activity';
import { activityContext, heartbeating } from './context';
import { DevcrewError } from '../core/errors';
import { toApplicationFailure } from '../core/failure';
import { decideRetry, PROVIDER_WAIT_TYPES } from '../models/retry-window';

/** Attempts beyond the first for a step that names none (the planner's and the store's steps). */
const DEFAULT_MAX_RETRIES = 3;

/**
 * What an activity throws, as Temporal should see it: a DevcrewError becomes its ApplicationFailure
 * (core/failure.ts, the one conversion: type = code, retryability from the catalogue, typed fields and
 * evidence as details). Anything else is left as is: Temporal retries it per the activity's policy.
 */
export function toActivityFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof DevcrewError) return toApplicationFailure(err);
  return err;
}

/**
 * Runs an activity body, converting what it throws. Model-bound steps may be retried without limit (to
 * ride out a provider outage, decided in model-step.ts); any other retryable error stops once the task's
 * `max_retries` is spent.
 */
export async function converting<T>(fn: () => Promise<T>, maxRetries = DEFAULT_MAX_RETRIES): Promise<T> {
  const timeout = activityContext()?.info.heartbeatTimeoutMs;
  // Every step heartbeats while it works (a third of its heartbeat timeout, at most every 2 s).
  const work = timeout ? () => heartbeating(fn, Math.min(2_000, timeout / 3)) : fn;
  try {
    return await work();
  } catch (err) {
    throw withinRetries(toActivityFailure(err), maxRetries);
  }
}

/** The same, for a task's step: its own `max_retries` applies. */
export function convertingTask<T>(task: { max_retries: number }, fn: () => Promise<T>): Promise<T> {
  return converting(fn, task.max_retries);
}

function withinRetries(failure: unknown, maxRetries: number): unknown {
  const info = activityContext()?.info;
  if (!info || !(failure instanceof Error)) return failure;
  // A retry policy with a limit of its own (sandbox steps) keeps it; only unlimited ones (no limit, or the
  // server's 0) need max_retries here.
  const limit = info.retryPolicy?.maximumAttempts;
  if (limit !== undefined && Number.isFinite(limit) && limit > 0) return failure;
  const app = failure instanceof ApplicationFailure ? failure : undefined;
  if (app?.nonRetryable) return failure;
  // A provider error that model-step.ts decided to retry: the window applies, not max_retries.
  if (app && (PROVIDER_WAIT_TYPES as readonly string[]).includes(app.type ?? '')) return failure;
  const decision = decideRetry({
    error: { type: app?.type ?? failure.name, message: failure.message, retryable: true, provider: false },
    clock: { attempt: info.attempt, firstScheduledMs: info.scheduledTimestampMs, nowMs: Date.now() },
    windowSeconds: 0,
    maxRetries,
  });
  if (decision.retry) return failure;
  return ApplicationFailure.create({
    type: decision.type,
    message: decision.message,
    nonRetryable: true,
    cause: failure,
  });
}
