import type { AgentStepResult } from '../contracts';
import { writeCode } from './coder';
import type { ActivityDeps } from './deps';
import type { StepInput } from './types';

/**
 * The single agent (the baseline): the whole request to code and tests in one model call; from the
 * second attempt on it sees its files and the failing test report.
 */
export function createSingleAgent(deps: ActivityDeps) {
  return {
    singleAgent: (input: StepInput): Promise<AgentStepResult> => writeCode(deps, input, 'single-agent'),
  };
}
