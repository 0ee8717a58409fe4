import {
  CodeArtifacts,
  codeArtifactsOf,
  Contract,
  sumUsage,
  TestReport,
  type AgentStepResult,
  type ModelRole,
  type TestCase,
} from '../contracts';
import { testedByItsExamples } from './plan-rule';
import { EXAMPLES_TEST_PATH } from './spec-examples';
import type { ActivityDeps } from './deps';
import type { StepInput } from './types';
import { convertingTask } from './failures';
import { askModel } from './model-step';
import { provenance } from './provenance';
import { reportForModel } from './reports/for-model';
import {
  projectPath,
  fileBlock,
  isContract,
  isPython,
  readFiles,
  taskHeader,
  withoutDuplicates,
} from './workspace';

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
    const contractPart = contracts.length
      ? `Contracts:\n${fileBlock(contracts)}`
      : 'No contract: design the interface yourself.';
    const shown = report ? reportForModel(input.failing_report_path!, report, current) : '';
    const examplesTestIt = testedByItsExamples(input.request ?? '');
    // The Coder's first answer to one function stub its examples test: one job (the function), asked
    // with the request and little else, the way a small model answers such a request best.
    const oneFunction = role === 'coder' && !fixing && examplesTestIt;
    const prompt = oneFunction
      ? [requestAndId(input), contracts.length ? contractPart : ''].filter(Boolean).join('\n\n')
      : [
          taskHeader(input),
          contractPart,
          current.length ? `Current files:\n${fileBlock(current)}` : '',
          shown,
        ]
          .filter(Boolean)
          .join('\n\n');
    // A second answer (asked by the workflow once a task's rounds stall): the Coder's general prompt and
    // the request alone, at temperature 0. On a request for one function its examples test, this is not
    // the prompt the first answer came from, so it is an independent answer, not a copy of the first one
    // or a patch of its approach (MapCoder and Reflexion start over the same way).
    const second =
      input.second_answer === true && input.anew === true && examplesTestIt && current.length > 0;
    const ask = (text: string, asked: { role: ModelRole; fixing: boolean } = { role, fixing }) =>
      askModel(deps, {
        role: asked.role,
        prompt: text,
        schema: CodeArtifacts,
        scriptKey: input.request,
        // A fix round samples: a small model asked at temperature 0 tends to give its files back as they were.
        ...(asked.fixing ? { vary: true } : {}),
        // A stub tested by its own examples: the Coder's and the Debugger's answers end where they start a
        // test file. Its tests are the examples, rewritten from the request for every run; a test file
        // of the model's own is unasked for (a Debugger round of HumanEval/20 added one and went from 2
        // failing tests to 4).
        // (The single agent writes its own tests: it has no Tester.)
        ...(role !== 'single-agent' && examplesTestIt ? { endBeforeFilesUnder: 'tests/' } : {}),
        ...(oneFunction ? { variant: 'function' as const } : {}),
        files: {
          toValue: (answered: { path: string; content: string }[]) =>
            codeArtifactsOf(input.task.id, answered),
        },
      });
    const anewPrompt = [
      taskHeader(input),
      contractPart,
      `An earlier attempt at this task failed. Write every file anew, avoiding what failed:\n${shown}`,
    ].join('\n\n');
    // Asked to (two rounds in a row without progress, or an earlier round's answer copied its files),
    // the files are written anew.
    let fresh = input.anew === true && current.length > 0;
    let copied = false;
    let step = second
      ? await ask(SECOND_ANSWER_PROMPT(input, contractPart), { role: 'coder', fixing: false })
      : await ask(fresh ? anewPrompt : prompt);
    if (
      !fresh &&
      fixing &&
      current.length &&
      unchanged([...step.value.files, ...step.value.tests], current)
    ) {
      // The same files again would fail the same way. A small model shown its own files tends to copy
      // them, so it writes the task anew instead, without them, told what the last attempt got wrong.
      const first = step;
      fresh = true;
      copied = true;
      step = await ask(anewPrompt);
      step = { ...step, usage: sumUsage(first.usage, step.usage) };
    }
    const files = withoutDuplicates([...step.value.files, ...step.value.tests]);
    // Written anew, a failing test file the new answer does not give again would keep failing it.
    const remove = fresh ? failingTestFiles(report, current, files, contracts) : [];
    const ref = await deps.artifacts.commit({
      parent: input.base.commit,
      ...(remove.length ? { remove } : {}),
      subject: `${subjectVerb(role, fixing)} ${input.task.id}${second ? ', a second answer' : fresh ? ' anew' : ''}${input.round ? ` (${role === 'single-agent' ? 'attempt' : 'round'} ${input.round})` : ''}: ${files.length} file(s)`,
      metadata: provenance(input.run_id, input.task.id, step.provenance),
      files,
    });
    return {
      ref,
      model: step.model,
      usage: step.usage,
      passed: true,
      ...(copied ? { copied: true } : {}),
      summary: `${second ? "a second answer (the Coder's prompt, the request alone): " : ''}${files.length} file(s): ${files.map((f) => f.path).join(', ')}`,
    };
  });
}

/** The request and the task's id, the whole question of a one-function Coder answer. */
const requestAndId = (input: StepInput) => `Request: ${input.request}\nTask id: ${input.task.id}`;

/** A second, independent answer's question: the request (and any contract), nothing of the attempt that failed. */
const SECOND_ANSWER_PROMPT = (input: StepInput, contractPart: string) =>
  [requestAndId(input), contractPart].join('\n\n');

function subjectVerb(role: ModelRole, fixing: boolean): string {
  if (role === 'debugger') return 'Fix';
  if (role === 'single-agent') return fixing ? 'Single agent fixes' : 'Single agent writes';
  return fixing ? 'Build fix for' : 'Implement';
}

/**
 * The test files (under tests/) the failing report names that `written` does not write again, leaving
 * out a contract's test skeleton and the request's examples (the Tester writes them): the files an
 * attempt written anew replaces.
 */
function failingTestFiles(
  reportText: string,
  current: { path: string; content: string }[],
  written: { path: string }[],
  contracts: { path: string; content: string }[],
): string[] {
  let cases: TestCase[];
  try {
    cases = TestReport.parse(JSON.parse(reportText)).cases;
  } catch {
    return [];
  }
  const modules = new Set(
    cases.filter((c) => c.status === 'failed' || c.status === 'error').map((c) => c.classname),
  );
  const kept = new Set([
    ...written.map((f) => projectPath(f.path)),
    EXAMPLES_TEST_PATH,
    ...contracts.flatMap((c) => skeletonPaths(c.content)),
  ]);
  return current
    .map((f) => projectPath(f.path))
    .filter((p) => p.startsWith('tests/') && !p.endsWith('__init__.py') && !kept.has(p))
    .filter((p) => {
      const dotted = p.replace(/\.py$/, '').replace(/\//g, '.');
      return [...modules].some((m) => m === dotted || m.startsWith(`${dotted}.`));
    });
}

/** The test skeletons' paths a committed contract names (none for a file that is not one). */
function skeletonPaths(text: string): string[] {
  try {
    return Contract.parse(JSON.parse(text)).test_skeletons.map((t) => projectPath(t.path));
  } catch {
    return [];
  }
}

/** Whether every file of an answer is already in `current` with the same content. */
function unchanged(
  answered: { path: string; content: string }[],
  current: { path: string; content: string }[],
): boolean {
  const now = new Map(current.map((f) => [projectPath(f.path), f.content.trimEnd()]));
  return answered.every((f) => now.get(projectPath(f.path)) === f.content.trimEnd());
}
