import { Context } from '@temporalio/activity';
import { createArchitect } from './architect';
import { createCoder } from './coder';
import type { ActivityDeps } from './deps';
import { createPlanner } from './planner';
import { createSingleAgent } from './single-agent';
import { createStoreSteps } from './store-steps';
import { createBuildCheck } from './build-check';
import { createTester } from './tester';
import type { AgentActivities, SandboxActivities } from './types';

export type { ActivityDeps } from './deps';
export * from './types';

/** The model-bound activities (queue `devcrew-agents`), built from their clients. */
export function createAgentActivities(deps: ActivityDeps): AgentActivities {
  const coder = createCoder(deps);
  return withStepDelays(deps, {
    ...createPlanner(deps),
    ...createArchitect(deps),
    code: coder.code,
    debug: coder.debug,
    ...createSingleAgent(deps),
    ...createStoreSteps(deps),
  });
}

/** The sandbox-bound activities (queue `devcrew-sandbox`): the Coder's build checks and the Tester. */
export function createSandboxActivities(deps: ActivityDeps): SandboxActivities {
  return withStepDelays(deps, { ...createBuildCheck(deps), ...createTester(deps) });
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
      const context = Context.current();
      const beat = setInterval(() => context.heartbeat(), 1_000);
      try {
        await new Promise((r) => setTimeout(r, ms));
      } finally {
        clearInterval(beat);
      }
      return result;
    };
  }
  return out as T;
}
