import { log } from '@temporalio/activity';
import {
  checkDocument,
  formatProblems,
  NO_USAGE,
  sumUsage,
  TodoList,
  type PlanInput,
  type PlanResult,
} from '../contracts';
import { ModelError } from '../models/types';
import type { ActivityDeps } from './deps';
import { converting } from './failures';
import { askModel, type ModelStep } from './model-step';
import { oneFunctionPlan, PLAN_RULE_VERSION } from './plan-rule';
import { provenance, toolStep } from './provenance';

/** Where a run's plan is committed: branch `ai/generated/{workflow_id}/plan`. */
export const PLAN_TASK_ID = 'plan';
export const PLAN_PATH = 'plans/todo_list.json';

/**
 * Planner: request to a TodoList, checked with the contract's shape and meaning. An invalid answer gets
 * bounded repair rounds with the problems fed back, then fails INVALID_AGENT_OUTPUT (not retried).
 */
export function createPlanner(deps: ActivityDeps) {
  return {
    async plan(input: PlanInput): Promise<PlanResult> {
      return converting(async () => {
        // A request that is one function's stub has one plan; a plan sent back with feedback is the model's.
        const ruled = input.feedback ? undefined : oneFunctionPlan(input.request);
        const checkedRule = ruled && checkDocument('todo', ruled);
        if (checkedRule?.ok) {
          const ref = await deps.artifacts.commit({
            subject: `Plan "${headline(input.request)}": ${checkedRule.value.tasks.length} tasks (one function: by rule)`,
            metadata: provenance(
              input.run_id,
              PLAN_TASK_ID,
              toolStep(
                'planner',
                PLAN_RULE_VERSION,
                input.request,
                'none (plan rule: the request is one function)',
              ),
            ),
            files: [{ path: PLAN_PATH, content: `${JSON.stringify(checkedRule.value, null, 2)}\n` }],
          });
          // The run's model is the one its agents will call.
          return { todo_list: checkedRule.value, ref, model: deps.model.info, usage: NO_USAGE };
        }
        const rounds = 1 + (deps.plannerRepairRounds ?? 1);
        let usage = NO_USAGE;
        let prompt = planPrompt(input);
        let last = '';
        for (let round = 1; round <= rounds; round++) {
          let step: ModelStep<TodoList>;
          try {
            step = await askModel(deps, {
              role: 'planner',
              prompt,
              schema: TodoList,
              scriptKey: input.request,
            });
          } catch (err) {
            if (!(err instanceof ModelError && err.code === 'INVALID_AGENT_OUTPUT')) throw err;
            last = err.message;
            prompt = `${planPrompt(input)}\n\nYour previous answer was refused:\n${err.message}\nAnswer again, fixing every problem.`;
            continue;
          }
          usage = sumUsage(usage, step.usage);
          const checked = checkDocument('todo', { ...step.value, request: input.request });
          if (checked.ok) {
            const ref = await deps.artifacts.commit({
              subject: `Plan "${headline(input.request)}": ${checked.value.tasks.length} tasks`,
              metadata: provenance(input.run_id, PLAN_TASK_ID, step.provenance),
              files: [{ path: PLAN_PATH, content: `${JSON.stringify(checked.value, null, 2)}\n` }],
            });
            return { todo_list: checked.value, ref, model: step.model, usage };
          }
          last = formatProblems(checked.problems);
          log.warn('planner answer refused', { round, problems: checked.problems.length });
          prompt =
            `${planPrompt(input)}\n\nYour previous plan was refused for these problems:\n${last}\n` +
            `Previous plan:\n${JSON.stringify(step.value)}\nAnswer with a corrected TodoList.`;
        }
        throw new ModelError(
          'INVALID_AGENT_OUTPUT',
          `the Planner gave no valid TodoList in ${rounds} rounds; the last problems:\n${last}`,
        );
      });
    },
  };
}

function planPrompt(input: PlanInput): string {
  return [
    `Request: ${input.request}`,
    input.feedback
      ? `A reviewer rejected the previous plan${input.previous_todo_list_id ? ` (${input.previous_todo_list_id})` : ''} and said: ${input.feedback}`
      : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}

/**
 * A request's first 60 characters on one line, for a commit subject: a request whose first line is short
 * and goes on with a stub ("Write this:\n\ndef f(...)") failed its plan commit on the newline.
 */
export function headline(request: string): string {
  return request.replace(/\s+/g, ' ').trim().slice(0, 60);
}
