import { Context } from '@temporalio/activity';

/** The running activity's context, or undefined outside one (`devcrew plan`, scripts, tests). */
export function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * Runs `fn` while heartbeating every `everyMs` (inside an activity), so a worker that dies mid-step is
 * noticed within the heartbeat timeout (workflows/activity-options.ts) instead of the step's whole one.
 * With `details`, the first heartbeat goes at once and every heartbeat carries them.
 */
export async function heartbeating<T>(fn: () => Promise<T>, everyMs = 2_000, details?: unknown): Promise<T> {
  const context = activityContext();
  if (context && details !== undefined) context.heartbeat(details);
  const timer = context ? setInterval(() => context.heartbeat(details), everyMs) : undefined;
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}
