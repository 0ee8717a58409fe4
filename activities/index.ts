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
  return {
    ...createPlanner(deps),
    ...createArchitect(deps),
    code: coder.code,
    debug: coder.debug,
    ...createSingleAgent(deps),
    ...createStoreSteps(deps),
  };
}

/** The sandbox-bound activities (queue `devcrew-sandbox`): the Coder's build checks and the Tester. */
export function createSandboxActivities(deps: ActivityDeps): SandboxActivities {
  return { ...createBuildCheck(deps), ...createTester(deps) };
}
