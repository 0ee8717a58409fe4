import { createArchitect } from './architect';
import { createCoder } from './coder';
import type { ActivityDeps } from './deps';
import { createPlanner } from './planner';
import { createStoreSteps } from './store-steps';
import type { AgentActivities } from './types';

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
    ...createStoreSteps(deps),
  };
}

export { createSandboxActivities } from './tester';
