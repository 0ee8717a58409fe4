import { ARCHITECT_REFUSED_FIRST, Contract, type AgentStepResult } from '../contracts';
import type { ActivityDeps } from './deps';
import type { StepInput } from './types';
import { convertingTask } from './failures';
import { askModel } from './model-step';
import { provenance } from './provenance';
import { fileBlock, isContract, readFiles, taskHeader, withoutDuplicates } from './workspace';

const oneLine = (text: string) => text.replace(/\s+/g, ' ').slice(0, 300);

/** Architect: a task to its Contract (interfaces, data models, test skeletons), committed. */
export function createArchitect(deps: ActivityDeps) {
  return {
    async architect(input: StepInput): Promise<AgentStepResult> {
      return convertingTask(input.task, async () => {
        const known = await readFiles(deps.artifacts, input.base.commit, isContract);
        const prompt = [
          taskHeader(input),
          known.length ? `Contracts already agreed (keep to them):\n${fileBlock(known)}` : '',
        ]
          .filter(Boolean)
          .join('\n\n');
        const step = await askModel(deps, {
          role: 'architect',
          prompt,
          schema: Contract,
          scriptKey: input.request,
        });
        const contract: Contract = { ...step.value, task_id: input.task.id };
        const contractPath = `contracts/${input.task.id}.json`;
        const ref = await deps.artifacts.commit({
          parent: input.base.commit,
          subject: `Contract for ${input.task.id}: ${contract.interfaces.map((i) => i.name).join(', ')}`,
          metadata: provenance(input.run_id, input.task.id, step.provenance),
          files: withoutDuplicates([
            { path: contractPath, content: `${JSON.stringify(contract, null, 2)}\n` },
            ...contract.test_skeletons.map((s) => ({ path: s.path, content: s.content })),
          ]),
        });
        return {
          ref,
          model: step.model,
          usage: step.usage,
          passed: true,
          summary: `contract: ${contract.interfaces.length} interface(s), ${contract.test_skeletons.length} test skeleton(s)${step.refused ? `; ${ARCHITECT_REFUSED_FIRST}${oneLine(step.refused)}` : ''}`,
          report_path: contractPath,
        };
      });
    },
  };
}
