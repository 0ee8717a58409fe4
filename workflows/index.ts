/** Every workflow the run worker hosts (`workers/index.ts` bundles this file). */
export { developWorkflow } from './develop';
export { singleAgentWorkflow } from './single-agent';
export { rolloutWorkflow } from './rollout';
