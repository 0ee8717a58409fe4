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
 */
export async function heartbeating<T>(
  fn: (context: Context | undefined) => Promise<T>,
  everyMs = 2_000,
): Promise<T> {
  const context = activityContext();
  const timer = context ? setInterval(() => context.heartbeat(), everyMs) : undefined;
  try {
    return await fn(context);
  } finally {
    clearInterval(timer);
  }
}
