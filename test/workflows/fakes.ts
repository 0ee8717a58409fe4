import { converting } from '../../activities/failures';
import type { AgentActivities, SandboxActivities } from '../../activities/types';
import {
  NO_USAGE,
  type AgentStepInput,
  type AgentStepResult,
  type ArtifactRef,
  type TodoList,
} from '../../contracts';

export interface Call {
  activity: string;
  task?: string;
  start: number;
  end: number;
}

/** Typed fake agents: they record when each step ran and answer by the rules a test sets. */
export function fakeActivities(options: {
  delayMs?: number;
  plan?: () => TodoList;
  /** Tests of these tasks fail this many times before passing. */
  failingTests?: Record<string, number>;
  /** Steps of these tasks throw (a non-retryable failure unless `retryable`). */
  broken?: Record<string, { retryable?: boolean; message: string }>;
  costPerCall?: number;
  /** Latency of the agents' own steps only (model calls, sandbox jobs); store steps stay instant. */
  agentDelayMs?: number;
  /** The first n attempts of these activities (e.g. `code`) fail retryably, as a runaway answer does. */
  failFirst?: Record<string, number>;
}): { agents: AgentActivities; sandbox: SandboxActivities; calls: Call[]; testRuns: Map<string, number> } {
  const calls: Call[] = [];
  const testRuns = new Map<string, number>();
  let n = 0;
  const ref = (branch: string): ArtifactRef => ({
    branch,
    commit: (++n).toString(16).padStart(40, '0'),
    paths: [],
  });
  /**
   * A fake step, run the way real ones are (activities/failures.ts `converting`): a retryable failure
   * stops after the task's max_retries when the workflow's policy leaves the limit to the activity.
   */
  const timed = <T>(activity: string, task: string | undefined, fn: () => T, maxRetries = 3): Promise<T> =>
    converting(() => attempt(activity, task, fn), maxRetries);
  const attempt = async <T>(activity: string, task: string | undefined, fn: () => T): Promise<T> => {
    const start = Date.now();
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    const storeStep = activity === 'prepareTask' || activity === 'finishTask' || activity === 'integrate';
    if (options.agentDelayMs && !storeStep) await new Promise((r) => setTimeout(r, options.agentDelayMs));
    const failing = options.failFirst?.[activity] ?? 0;
    if (failing > 0) {
      options.failFirst![activity] = failing - 1;
      calls.push({ activity: `${activity}:failed`, task, start, end: Date.now() });
      const { ApplicationFailure } = await import('@temporalio/common');
      throw ApplicationFailure.create({ type: 'FAKE_RETRYABLE', message: `${activity} ran away` });
    }
    const broken = task ? options.broken?.[task] : undefined;
    if (broken && activity !== 'prepareTask') {
      calls.push({ activity: `${activity}:failed`, task, start, end: Date.now() });
      const { ApplicationFailure } = await import('@temporalio/common');
      throw ApplicationFailure.create({
        type: 'FAKE_FAILURE',
        message: broken.message,
        nonRetryable: !broken.retryable,
      });
    }
    const out = fn();
    calls.push({ activity, task, start, end: Date.now() });
    return out;
  };
  const usage = { ...NO_USAGE, calls: 1, cost_usd: options.costPerCall ?? 0 };
  /** A fake agent step; like the real ones, a first step may start the task and a last one tag it. */
  const step =
    (activity: string, extra: Partial<AgentStepResult> = {}) =>
    async (input: AgentStepInput): Promise<AgentStepResult> => {
      if (input.prepare) await timed('prepareTask', input.task.id, () => undefined);
      const result = await timed(
        activity,
        input.task.id,
        () => ({
          ref: ref(`ai/generated/${input.run_id}/${input.task.id}`),
          usage: activity === 'checkBuild' || activity === 'runTests' ? NO_USAGE : usage,
          model: { provider: 'scripted' as const, name: 'scripted' },
          passed: true,
          summary: `${activity} done`,
          ...extra,
        }),
        input.task.max_retries,
      );
      if (!input.finish || !result.passed) return result;
      await timed('finishTask', input.task.id, () => undefined);
      return { ...result, finished: true };
    };
  return {
    calls,
    testRuns,
    agents: {
      plan: (input) =>
        timed('plan', undefined, () => ({
          todo_list: options.plan!(),
          ref: ref(`ai/generated/${input.run_id}/plan`),
          model: { provider: 'scripted', name: 'scripted' },
          usage,
        })),
      prepareTask: (input) =>
        timed('prepareTask', input.task_id, () => ref(`ai/generated/${input.run_id}/${input.task_id}`)),
      architect: step('architect'),
      code: step('code'),
      debug: step('debug'),
      singleAgent: step('singleAgent'),
      finishTask: (input) => timed('finishTask', input.task_id, () => input.ref),
      integrate: (input) =>
        timed('integrate', undefined, () => ({
          branch: `ai/generated/${input.run_id}/_integration`,
          commit: 'f'.repeat(40),
          files: ['codes/x.py'],
        })),
    },
    sandbox: {
      checkBuild: step('checkBuild'),
      runTests: (input) => {
        const seen = testRuns.get(input.task.id) ?? 0;
        testRuns.set(input.task.id, seen + 1);
        const passed = seen >= (options.failingTests?.[input.task.id] ?? 0);
        return step('runTests', {
          passed,
          report_path: `reports/${input.task.id}/test_report.json`,
          test_summary: {
            passed: passed ? 3 : 2,
            failed: passed ? 0 : 1,
            skipped: 0,
            errors: 0,
            duration_s: 0.1,
          },
        })(input);
      },
    },
  };
}
