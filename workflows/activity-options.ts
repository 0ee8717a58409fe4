import type { ActivityOptions } from '@temporalio/workflow';
import type { TodoItem } from '../contracts';
import { NON_RETRYABLE_ERROR_TYPES } from '../contracts/error-codes';

type Limits = Pick<TodoItem, 'timeout_seconds' | 'max_retries'>;

/** The Planner before any task exists: ten minutes an attempt, three retries. */
export const PLANNING: Limits = { timeout_seconds: 600, max_retries: 3 };

/**
 * Every activity heartbeats every 2 s while it works (activities/failures.ts, sandbox-job.ts): a worker
 * that dies mid-step is noticed after this long, and the step runs again elsewhere, reusing what the
 * dead one finished (the response cache, idempotent commits).
 */
export const HEARTBEAT_TIMEOUT = '6 seconds';

/** The shortest attempt a model-bound step is given: the local provider's call timeout. */
export const MODEL_STEP_FLOOR_SECONDS = 900;

/** Exponential backoff from one second to a minute; codes the catalogue marks final are never retried. */
function backoff(): NonNullable<ActivityOptions['retry']> {
  return {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
  };
}

/**
 * A model-bound step (Planner, Architect, Coder, Debugger, single agent): the task's timeout per attempt,
 * and no attempt limit here, because the activity itself decides when to stop (models/retry-window.ts):
 * a provider outage is ridden out for DEVCREW_MODEL_RETRY_WINDOW_SECONDS, any other error stops after the
 * task's `max_retries`. The schedule-to-close bound catches what neither sees (a worker that keeps dying).
 */
export function modelCall(limits: Limits, taskQueue: string): ActivityOptions {
  return {
    taskQueue,
    // A model on a CPU may need minutes per answer, whatever the task's own timeout says (the Planner
    // sets it for the task's work): never less than MODEL_STEP_FLOOR_SECONDS. The client's own call
    // timeout (DEVCREW_MODEL_TIMEOUT_SECONDS) bounds each call inside; heartbeats catch a dead worker.
    startToCloseTimeout: `${Math.max(limits.timeout_seconds, MODEL_STEP_FLOOR_SECONDS)} seconds`,
    heartbeatTimeout: HEARTBEAT_TIMEOUT,
    scheduleToCloseTimeout: '6 hours',
    retry: backoff(),
  };
}

/** The artifact store's steps (merge a task's dependencies, tag it, integrate the run): the task's limits. */
export function storeStep(limits: Limits, taskQueue: string): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: `${limits.timeout_seconds} seconds`,
    heartbeatTimeout: HEARTBEAT_TIMEOUT,
    retry: { ...backoff(), maximumAttempts: limits.max_retries + 1 },
  };
}

/** A sandbox job: the task's limits, with the same heartbeat (a dead worker's container is killed). */
export function sandboxRun(limits: Limits, taskQueue: string): ActivityOptions {
  return storeStep(limits, taskQueue);
}
