import type { ActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_ERROR_TYPES, type TodoItem } from '../contracts';

type Limits = Pick<TodoItem, 'timeout_seconds' | 'max_retries'>;

/** The Planner before any task exists: ten minutes an attempt, three retries. */
export const PLANNING: Limits = { timeout_seconds: 600, max_retries: 3 };

/** Exponential backoff from one second to a minute; codes the catalogue marks final are never retried. */
function retry(limits: Limits): ActivityOptions['retry'] {
  return {
    maximumAttempts: limits.max_retries + 1,
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
  };
}

/**
 * A model-bound step (Planner, Architect, Coder, Debugger) and the artifact store's steps beside them:
 * the task's timeout per attempt and its retries become Temporal's.
 */
export function agentCall(limits: Limits, taskQueue: string): ActivityOptions {
  return { taskQueue, startToCloseTimeout: `${limits.timeout_seconds} seconds`, retry: retry(limits) };
}

/** A sandbox job: like an agent call, with a heartbeat so a dead worker's job is retried within 30 s. */
export function sandboxRun(limits: Limits, taskQueue: string): ActivityOptions {
  return { ...agentCall(limits, taskQueue), heartbeatTimeout: '30 seconds' };
}
