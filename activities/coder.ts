import { CodeArtifacts, codeArtifactsOf, type AgentStepResult, type ModelRole } from '../contracts';
import type { ActivityDeps } from './deps';
import type { StepInput } from './types';
import { convertingTask } from './failures';
import { askModel } from './model-step';
import { provenance } from './provenance';
import { fileBlock, isContract, isPython, readFiles, taskHeader, withoutDuplicates } from './workspace';

/**
 * Coder and Debugger: the model writes whole files (code and tests); they are committed on the task
 * branch. The Coder follows the contracts; in a fix round (and always for the Debugger) it also sees
 * the current files and the failing report.
 */
export function createCoder(deps: ActivityDeps) {
  return {
    code: (input: StepInput) => writeCode(deps, input, 'coder'),
    debug: (input: StepInput) => writeCode(deps, input, 'debugger'),
  };
}

/**
 * A model writes whole files (code and tests), committed on the task's branch. In a fix round (a failing
 * report given) and always for the Debugger, it also sees the current files and the report.
 */
export async function writeCode(
  deps: ActivityDeps,
  input: StepInput,
  role: ModelRole,
): Promise<AgentStepResult> {
  return convertingTask(input.task, async () => {
    const contracts = await readFiles(deps.artifacts, input.base.commit, isContract);
    const fixing = role === 'debugger' || input.failing_report_path !== undefined;
    const current = fixing ? await readFiles(deps.artifacts, input.base.commit, isPython) : [];
    const report = input.failing_report_path
      ? await deps.artifacts.readFile(input.base.commit, input.failing_report_path)
      : '';
    const prompt = [
      taskHeader(input),
      contracts.length
        ? `Contracts:\n${fileBlock(contracts)}`
        : 'No contract: design the interface yourself.',
      current.length ? `Current files:\n${fileBlock(current)}` : '',
      report ? `Failing report (${input.failing_report_path}):\n${report}` : '',
    ]
      .filter(Boolean)
      .join('\n\n');
    const step = await askModel(deps, {
      role,
      prompt,
      schema: CodeArtifacts,
      scriptKey: input.request,
      files: {
        toValue: (answered: { path: string; content: string }[]) => codeArtifactsOf(input.task.id, answered),
      },
    });
    const files = withoutDuplicates([...step.value.files, ...step.value.tests]);
    const ref = await deps.artifacts.commit({
      parent: input.base.commit,
      subject: `${subjectVerb(role, fixing)} ${input.task.id}${input.round ? ` (${role === 'single-agent' ? 'attempt' : 'round'} ${input.round})` : ''}: ${files.length} file(s)`,
      metadata: provenance(input.run_id, input.task.id, step.provenance),
      files,
    });
    return {
      ref,
      model: step.model,
      usage: step.usage,
      passed: true,
      summary: `${files.length} file(s): ${files.map((f) => f.path).join(', ')}`,
    };
  });
}

function subjectVerb(role: ModelRole, fixing: boolean): string {
  if (role === 'debugger') return 'Fix';
  if (role === 'single-agent') return fixing ? 'Single agent fixes' : 'Single agent writes';
  return fixing ? 'Build fix for' : 'Implement';
}
