import type { WorkflowExecutionDescription } from '@temporalio/client';
import { defaultPayloadConverter, optionalTsToDate } from '@temporalio/common';
import type { ErrorFields, ProviderWait } from '../contracts';

/** The failure types a model-bound step waits out (models/retry-window.ts). */
const WAIT_TYPES = new Set(['MODEL_UNAVAILABLE', 'MODEL_RATE_LIMITED']);

/**
 * Whether the run waits for the model provider right now, read from Temporal's own record of its pending
 * activities: one whose last attempt failed with a provider error and that will be tried again.
 */
export function providerWait(d: WorkflowExecutionDescription): ProviderWait | null {
  const waiting = (d.raw.pendingActivities ?? []).filter((a) => {
    const type = a.lastFailure?.applicationFailureInfo?.type;
    return type !== undefined && type !== null && WAIT_TYPES.has(type);
  });
  const views = waiting.map((a) => {
    // The failure's first detail is its typed fields (core/failure.ts): waiting_since among them.
    const details = a.lastFailure?.applicationFailureInfo?.details?.payloads?.[0];
    let since: string | undefined;
    try {
      since = details ? defaultPayloadConverter.fromPayload<ErrorFields>(details).waiting_since : undefined;
    } catch {
      since = undefined;
    }
    return {
      kind: 'model_provider' as const,
      activity: a.activityType?.name ?? 'unknown',
      since: since ?? optionalTsToDate(a.scheduledTime)?.toISOString() ?? new Date().toISOString(),
      attempts: Math.max(1, (a.attempt ?? 1) - 1),
      last_error: a.lastFailure?.message ?? '',
      next_attempt_at: optionalTsToDate(a.nextAttemptScheduleTime)?.toISOString() ?? null,
      steps_waiting: waiting.length,
    };
  });
  return views.sort((a, b) => a.since.localeCompare(b.since))[0] ?? null;
}
