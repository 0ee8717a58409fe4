import { patched, proxyActivities, type ActivityFunctionWithOptions } from '@temporalio/workflow';
import type { AgentActivities, SandboxActivities } from '../activities/types';
import type {
  AgentRole,
  AgentStepInput,
  AgentStepResult,
  ArtifactRef,
  RoleActivity,
  RoleSpec,
  RoundRecord,
  RunInput,
  TodoItem,
} from '../contracts';
import { ROLES } from '../contracts/roles';
import { workflowFailure } from '../core/failure';
import { modelCall, sandboxRun, storeStep } from './activity-options';
import type { Budget } from './budget';
import type { Gates } from './gates';
import type { RunState } from './run-state';
import { taskFields, type TaskBoard } from './task-state';

/** What a task needs from its run. */
export interface TaskContext {
  input: RunInput;
  run: RunState;
  gates: Gates;
  budget: Budget;
  board: TaskBoard;
  queues: { agents: string; sandbox: string };
}

/**
 * One task through its agents, by role: the steps its role's entry in contracts/roles.ts names, e.g.
 * the Architect's contract; the Coder's code, its build checks (and build-fix rounds), the tests and the
 * Debugger's rounds; the Tester's tests and rounds; the Debugger's repair then tests. Every step is an
 * activity whose commit becomes the next step's base; the task's final commit is tagged. Returns undefined when a person rejected the task at its gate.
 */
export async function runTask(
  ctx: TaskContext,
  task: TodoItem,
  dependencies: ArtifactRef[],
): Promise<ArtifactRef | undefined> {
  const { input, run, board } = ctx;
  const { options } = input;
  if (task.requires_approval && options.gates?.tasks !== false) {
    board.awaitApproval(task.id);
    const gateId = `task-${task.id}`;
    const outcome = await ctx.gates.wait(gateId, 'task', `approval to run task ${task.id}: ${task.title}`);
    if (outcome.outcome === 'rejected') {
      const comment = ctx.gates.decisionOf(gateId)?.comment;
      board.reject(
        task.id,
        `rejected by ${outcome.approver}${outcome.approver && comment ? `: ${comment}` : ''}`,
      );
      return undefined;
    }
    board.approved(task.id);
  }
  const agents = proxyActivities<AgentActivities>(modelCall(task, ctx.queues.agents));
  const store = proxyActivities<AgentActivities>(storeStep(task, ctx.queues.agents));
  const sandbox = proxyActivities<SandboxActivities>(sandboxRun(task, ctx.queues.sandbox));
  const runId = input.run_id;
  // Runs started before it replay the old way: a store step before and after the task's agent steps.
  const oneStep = patched(ONE_STEP_TASKS);
  let base: ArtifactRef | undefined = oneStep
    ? undefined
    : await store.prepareTask.executeWithOptions(
        { summary: `Store: start ${task.id} from ${dependencies.length} dependency result(s)` },
        [{ run_id: runId, task_id: task.id, dependency_refs: dependencies }],
      );
  let finished: ArtifactRef | undefined;

  /** The next step's input: the first one starts the task branch, a last one (if it passes) tags it. */
  const step = (round?: number, failing?: string, how: StepHow = {}): AgentStepInput => ({
    run_id: runId,
    request: run.progress.request,
    task,
    ...(base ? { base } : { prepare: { dependency_refs: dependencies } }),
    ...(oneStep && how.last ? { finish: true } : {}),
    ...(round ? { round } : {}),
    ...(failing ? { failing_report_path: failing } : {}),
    ...(how.anew ? { anew: true } : {}),
    ...(how.secondAnswer ? { second_answer: true } : {}),
  });
  const record = (agent: RoundRecord['agent'], r: AgentStepResult, round = 0) => {
    run.addUsage(r.usage, agent === 'build-checker' ? 'coder' : agent);
    base = r.ref;
    if (r.finished) finished = r.ref;
    board.record(task.id, agent, r, round);
    if (r.test_summary) run.finalTests = { summary: r.test_summary, path: r.report_path ?? null };
    run.recordTests(task.id, r.test_outcomes);
  };
  type Step = ActivityFunctionWithOptions<(i: AgentStepInput) => Promise<AgentStepResult>>;
  /** An activity with a summary the Web UI shows on its timeline, e.g. "Debugger: task_coder_001, round 2". */
  const run_ = (fn: Step, summary: string, input: AgentStepInput) => {
    board.stepScheduled(task.id);
    return fn.executeWithOptions({ summary }, [input]);
  };
  const model = async (
    fn: Step,
    agent: AgentRole,
    round?: number,
    failing?: string,
    what = '',
    how: StepHow = {},
  ) => {
    await ctx.budget.ensure(task.id);
    const name = ROLES[agent].title;
    const r = await run_(
      fn,
      `${name}: ${task.id}${round ? `, round ${round}` : ''}${what}`,
      step(round, failing, how),
    );
    record(agent, r, round);
    return r;
  };
  const tester = (round?: number) =>
    run_(sandbox.runTests, `Tester: ${task.id}${round ? `, round ${round}` : ''}`, {
      ...step(round, undefined, { last: true }),
      // The crew's Tester also runs the request's own examples (runs started before it do not).
      ...(patched(SPEC_EXAMPLES) ? { spec_examples: true } : {}),
      ...(patched(TESTER_EVIDENCE) ? { evidence: true } : {}),
    });
  const policy = options.build_policy ?? 'standard';
  const buildCheck = () =>
    run_(sandbox.checkBuild, `Build checks: ${task.id} (flake8, mypy, bandit)`, {
      ...step(),
      ...(policy === 'strict' ? { strict_types: true } : {}),
    });
  const testAndDebug = async (): Promise<void> => {
    const maxRounds = options.max_debug_rounds ?? 5;
    let tests = await tester();
    record('tester', tests);
    let rounds = 0;
    // Rounds in a row that left as many failing tests as before them: after two, the next round writes
    // the task anew (code and tests, told what failed) instead of patching files that keep failing. So
    // does every round after one whose Debugger gave the files back unchanged: on the local 1.5B model
    // that happened in 21 of 21 SMA rounds, each a model call spent before the task was written anew.
    // The first round written anew asks for a second, independent answer (the Coder's prompt, the
    // request alone) where the request is one function its examples test: on the local 1.5B model the
    // crew lost HumanEval/5 and /148 by patching, five rounds long, a first answer whose approach was wrong.
    let stalled = 0;
    let copied = false;
    let answeredAgain = false;
    for (let round = 1; !tests.passed && round <= maxRounds; round++) {
      rounds = round;
      board.setRounds(task.id, round);
      const anew = (stalled >= 2 || copied) && patched(DEBUG_ANEW);
      const second: boolean = anew && !answeredAgain && patched(SECOND_ANSWER);
      answeredAgain ||= second;
      const before = failing(tests);
      const fix = await model(
        agents.debug,
        'debugger',
        round,
        tests.report_path,
        second ? ', anew (a second answer if one function)' : anew ? ', anew' : '',
        { anew, secondAnswer: second },
      );
      copied ||= fix.copied === true;
      // The Debugger's files go through the build check too: what it repairs without model time (an
      // import left out, as the crew's Debugger did in every round of HumanEval/8) is repaired before
      // the tests judge the round. Its findings fail nothing here; the tests do.
      if (patched(DEBUG_BUILD_CHECK)) record('build-checker', await buildCheck(), round);
      tests = await tester(round);
      record('tester', tests, round);
      stalled = !anew && failing(tests) >= before ? stalled + 1 : 0;
    }
    if (!tests.passed) {
      throw workflowFailure(
        'TESTS_FAILED',
        `${tests.summary} after ${rounds} debugger round(s); see ${tests.report_path} at ${tests.ref.commit.slice(0, 12)}`,
        taskFields(runId, task.id, tests),
      );
    }
  };

  /** The role's writes, then build checks with fix rounds by the same writer (build_policy). */
  const checkBuild = async (writer: Step): Promise<void> => {
    let build = await buildCheck();
    record('build-checker', build);
    // Under warn, findings fail nothing: unless asked for, no model time goes to fixing them (the
    // checks still run and report).
    const fixRounds =
      options.build_fix_rounds ?? (policy === 'warn' && patched(WARN_WITHOUT_BUILD_FIXES) ? 0 : 2);
    let fixes = 0;
    for (; !build.passed && fixes < fixRounds; fixes++) {
      await model(writer, task.agent_role, undefined, build.report_path, `, build fix ${fixes + 1}`);
      build = await buildCheck();
      record('build-checker', build);
    }
    if (!build.passed && policy !== 'warn') {
      const listed = (build.findings ?? [])
        .map(
          (f) => `  ${f.tool} ${f.code} ${f.path}${f.line ? `:${f.line}` : ''}: ${f.message.slice(0, 300)}`,
        )
        .join('\n');
      throw workflowFailure(
        'BUILD_FAILED',
        `${build.finding_counts?.errors ?? 'some'} build error(s) left after ${fixes} fix round(s) (build_policy ${policy}; see ${build.report_path}):\n${listed}`,
        taskFields(runId, task.id, build),
      );
    }
  };

  // The role's steps, in the order contracts/roles.ts lists them.
  const role: RoleSpec = ROLES[task.agent_role];
  const writer = (): Step => {
    if (!role.activity || role.activity === 'plan') {
      throw workflowFailure(
        'INVALID_TODO_LIST',
        `role ${task.agent_role} writes but has no model activity (contracts/roles.ts)`,
        taskFields(runId, task.id),
      );
    }
    return agents[role.activity as Exclude<RoleActivity, 'plan'>];
  };
  for (const [i, kind] of role.steps.entries()) {
    const last = i === role.steps.length - 1;
    if (kind === 'write') await model(writer(), task.agent_role, role.writeRound, undefined, '', { last });
    else if (kind === 'build-checks') await checkBuild(writer());
    else await testAndDebug();
  }
  const tagged =
    finished ??
    (await store.finishTask.executeWithOptions({ summary: `Store: tag ${task.id}` }, [
      { run_id: runId, task_id: task.id, ref: base! },
    ]));
  board.complete(task.id, tagged);
  return tagged;
}

/** How a step is asked: the task's last step (it tags the task), a round written anew, a second answer. */
interface StepHow {
  last?: boolean;
  anew?: boolean;
  secondAnswer?: boolean;
}

/** A test run's failing and erroring tests (a run with no totals counts as all failing). */
const failing = (r: AgentStepResult) =>
  r.test_summary ? r.test_summary.failed + r.test_summary.errors : Number.MAX_SAFE_INTEGER;

/**
 * The patch that has the crew's Tester give evidence beyond pytest's: tests that contradict each other,
 * and the lines of the code that ran last in a failing test.
 */
export const TESTER_EVIDENCE = 'tester-evidence';

/**
 * The patch after which a Debugger round writes the task anew after two rounds in a row without
 * progress, and every round after one whose answer gave the files back unchanged.
 */
export const DEBUG_ANEW = 'debug-anew';

/**
 * The patch after which the first Debugger round written anew asks for a second, independent answer
 * when the request is one function its examples test (activities/coder.ts).
 */
export const SECOND_ANSWER = 'second-answer';

/**
 * The patch after which every Debugger round's files go through the build check (and its autofix)
 * before the tests run them.
 */
export const DEBUG_BUILD_CHECK = 'debug-build-check';

/** The patch that has the crew's Tester run the request's own examples as tests. */
export const SPEC_EXAMPLES = 'spec-examples';

/**
 * The patch that folded a task's store steps into its first and last agent steps (workflows started
 * before it replay with a prepareTask and a finishTask activity around the agents). See the README,
 * "Changing a workflow safely".
 */
export const ONE_STEP_TASKS = 'one-step-tasks';

/** The patch after which a coder task under build_policy warn has no build fix rounds. */
export const WARN_WITHOUT_BUILD_FIXES = 'warn-without-build-fixes';
