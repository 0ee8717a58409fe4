import { DesignedCases, NO_USAGE, type AgentStepResult } from '../contracts';
import type { ActivityDeps } from './deps';
import type { StepInput } from './types';
import { convertingTask } from './failures';
import { ModelError } from '../models/types';
import { askModel } from './model-step';
import { stubFunction, testedByItsExamples } from './plan-rule';
import { provenance } from './provenance';
import { DESIGNED_CASES_PATH, usableCases } from './spec-examples';

/** Model errors that are the answer's, not the provider's: the task goes on without cases. */
const UNUSABLE = new Set(['INVALID_AGENT_OUTPUT', 'MODEL_ANSWER_RAN_AWAY']);

/** Designed cases a task keeps at most (the prompt asks for up to 5). */
const MAX_CASES = 6;

/**
 * The crew's Tester as a test designer (AgentCoder's): for a request that is one function stub tested
 * by its examples, its model reads the request alone (never the code) and writes cases the examples do
 * not cover, kept as DESIGNED_CASES_PATH; the Tester runs them as a test file beside the examples. Any
 * other request gets no cases and no model call.
 */
export function createTestDesigner(deps: ActivityDeps) {
  return {
    async designTests(input: StepInput): Promise<AgentStepResult> {
      return convertingTask(input.task, async () => {
        const request = input.request ?? '';
        const name = stubFunction(request);
        if (!name || !testedByItsExamples(request)) {
          return {
            ref: input.base,
            usage: NO_USAGE,
            passed: true,
            summary: 'no cases designed: the request is not one function stub tested by its examples',
          };
        }
        const asked = await askModel(deps, {
          role: 'tester',
          variant: 'function',
          prompt: `Request: ${request}`,
          schema: DesignedCases,
          scriptKey: request,
        }).catch((err: unknown) => {
          // Cases are extra evidence: an answer that cannot be used leaves the examples to judge alone.
          if (err instanceof ModelError && UNUSABLE.has(err.code)) return err;
          throw err;
        });
        if (asked instanceof ModelError) {
          return {
            ref: input.base,
            usage: NO_USAGE,
            passed: true,
            summary: `no cases designed: the model's answer could not be used (${asked.code}: ${asked.message.slice(0, 300)})`,
          };
        }
        const step = asked;
        const { kept, left } = usableCases(request, name, step.value.cases);
        const cases = kept.slice(0, MAX_CASES);
        const leftOut = left.length ? `; left out ${left.join('; ')}` : '';
        if (!cases.length) {
          return {
            ref: input.base,
            model: step.model,
            usage: step.usage,
            passed: true,
            summary: `no usable case designed from the request${leftOut}`.slice(0, 2000),
          };
        }
        const ref = await deps.artifacts.commit({
          parent: input.base.commit,
          subject: `Tests designed for ${input.task.id}: ${cases.length} case(s) from the request alone`,
          metadata: provenance(input.run_id, input.task.id, step.provenance),
          files: [{ path: DESIGNED_CASES_PATH, content: `${JSON.stringify(cases, null, 2)}\n` }],
        });
        return {
          ref,
          model: step.model,
          usage: step.usage,
          passed: true,
          summary:
            `${cases.length} case(s) designed from the request: ${cases.map((c) => `${c.call} == ${c.expected}`).join('; ')}${leftOut}`.slice(
              0,
              2000,
            ),
        };
      });
    },
  };
}
