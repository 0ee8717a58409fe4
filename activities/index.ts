import { activityContext, heartbeating } from './context';
import { createArchitect } from './architect';
import { createCoder } from './coder';
import type { ActivityDeps } from './deps';
import { createPlanner } from './planner';
import { createSingleAgent } from './single-agent';
import { createStoreSteps } from './store-steps';
import { createBuildCheck } from './build-check';
import { createTester } from './tester';
import type { AgentStepInput, AgentStepResult } from '../contracts';
import { converting } from './failures';
import type { AgentActivities, SandboxActivities, StepInput } from './types';

export type { ActivityDeps } from './deps';
export * from './types';

/** The model-bound activities (queue `devcrew-agents`), built from their clients. */
export function createAgentActivities(deps: ActivityDeps): AgentActivities {
  const coder = createCoder(deps);
  const bounded = withTaskBoundaries(deps);
  return withStepDelays(deps, {
    ...createPlanner(deps),
    architect: bounded(createArchitect(deps).architect),
    code: bounded(coder.code),
    debug: bounded(coder.debug),
    singleAgent: bounded(createSingleAgent(deps).singleAgent),
    ...createStoreSteps(deps),
  });
}

/** The sandbox-bound activities (queue `devcrew-sandbox`): the Coder's build checks and the Tester. */
export function createSandboxActivities(deps: ActivityDeps): SandboxActivities {
  const bounded = withTaskBoundaries(deps);
  return withStepDelays(deps, {
    checkBuild: bounded(createBuildCheck(deps).checkBuild),
    runTests: bounded(createTester(deps).runTests),
  });
}

/**
 * A task's first step may start its branch (`prepare`) and its last step tag the result (`finish`), so a
 * task costs one activity per agent step and no store steps around them. Both are idempotent: a retried
 * step finds the same branch start and the same tag.
 */
function withTaskBoundaries(deps: ActivityDeps) {
  return (step: (input: StepInput) => Promise<AgentStepResult>) =>
    async (input: AgentStepInput): Promise<AgentStepResult> => {
      deps.metrics?.stepAttempt({ role: input.task.agent_role, attempt: attemptNow() });
      const base = input.prepare
        ? await converting(() =>
            deps.artifacts.prepareTask({
              runId: input.run_id,
              taskId: input.task.id,
              dependencies: input.prepare!.dependency_refs,
            }),
          )
        : input.base;
      if (!base) throw new Error(`step of ${input.task.id} has neither a base commit nor a prepare`);
      const result = await step({ ...input, base });
      if (!input.finish || !result.passed) return result;
      const tagged = await converting(() =>
        deps.artifacts.finishTask({ runId: input.run_id, taskId: input.task.id, commit: result.ref.commit }),
      );
      return { ...result, ref: tagged, finished: true };
    };
}

/** This execution's attempt number (1 outside an activity). */
function attemptNow(): number {
  return activityContext()?.info.attempt ?? 1;
}

/** Fault injection (tests and `npm run chaos` only): a pause after the named steps' work. */
function withStepDelays<T extends object>(deps: ActivityDeps, activities: T): T {
  const delays = deps.stepDelaysMs;
  if (!delays || Object.keys(delays).length === 0) return activities;
  const out = { ...activities } as Record<string, unknown>;
  for (const [name, ms] of Object.entries(delays)) {
    const fn = out[name] as ((input: unknown) => Promise<unknown>) | undefined;
    if (!fn) continue;
    out[name] = async (input: unknown) => {
      const result = await fn(input);
      await heartbeating(() => new Promise((r) => setTimeout(r, ms)), 1_000);
      return result;
    };
  }
  return out as T;
}
