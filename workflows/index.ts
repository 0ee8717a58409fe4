/** Every workflow the run worker hosts (`workers/index.ts` bundles this file). */
export { developWorkflow } from './develop';
