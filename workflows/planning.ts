import {
  patched,
  setCurrentDetails,
  upsertSearchAttributes,
  type ActivityInterfaceFor,
} from '@temporalio/workflow';
import type { AgentActivities } from '../activities/types';
import type { Problem, RunInput } from '../contracts';
import { formatProblems, problemsFromZod } from '../contracts/problems';
import { checkTodoListSemantics, TodoList } from '../contracts/todo-list';
import { workflowFailure } from '../core/failure';
import type { Budget } from './budget';
import type { Gates } from './gates';
import type { RunState } from './run-state';
import { MODEL_PROVIDER } from './search-attributes';
import { TaskBoard } from './task-state';

/**
 * The run's plan: the given TodoList, or the Planner's, shown to a person at the plan gate; a rejection
 * with a comment plans again (up to `max_replans`). Returns undefined when the plan was rejected for
 * good (the run is then `rejected`).
 */
export async function planRun(
  ctx: { input: RunInput; run: RunState; gates: Gates; budget: Budget },
  planner: Pick<ActivityInterfaceFor<AgentActivities>, 'plan'>,
): Promise<TodoList | undefined> {
  const { input, run, gates, budget } = ctx;
  const { options } = input;
  if (input.todo_list) return checkedTodoList(input.todo_list, 'the given TodoList');
  if (!input.request)
    throw workflowFailure('INVALID_TODO_LIST', 'give a request or a todo_list', {
      run_id: run.progress.run_id,
    });
  const maxReplans = options.max_replans ?? 2;
  let feedback: string | undefined;
  let previous: string | undefined;
  for (let attempt = 0; ; attempt++) {
    await budget.ensure('planning');
    const plan = await planner.plan.executeWithOptions(
      {
        summary: `Planner: ${attempt === 0 ? 'plan' : `plan again (${attempt + 1})`} "${input.request.slice(0, 80)}"`,
      },
      [{ run_id: input.run_id, request: input.request, feedback, previous_todo_list_id: previous }],
    );
    run.addUsage(plan.usage, 'planner');
    run.setModel(plan.model);
    upsertSearchAttributes([{ key: MODEL_PROVIDER, value: plan.model.provider }]);
    const todo = checkedTodoList(plan.todo_list, "the Planner's TodoList");
    showPlan(run, todo);
    if (options.gates?.plan === false) return todo;
    const gateId = attempt === 0 ? 'plan' : `plan-${attempt + 1}`;
    const outcome = await gates.wait(
      gateId,
      'plan',
      `approval of the plan ${todo.todo_list_id} (${todo.tasks.length} tasks)`,
    );
    if (outcome.outcome === 'approved') return todo;
    if (attempt >= maxReplans) {
      run.fail('rejected', `the plan was rejected ${attempt + 1} time(s) by ${outcome.approver}`);
      return undefined;
    }
    feedback = gates.decisionOf(gateId)?.comment ?? 'rejected without a comment';
    previous = todo.todo_list_id;
  }
}

/** The plan becomes the run's task list, every task pending. */
export function showPlan(run: RunState, list: TodoList): void {
  run.progress.todo_list_id = list.todo_list_id;
  run.progress.tasks = TaskBoard.fresh(list);
  if (run.progress.plan !== list)
    run.emit('plan_ready', `plan ${list.todo_list_id}: ${list.tasks.length} task(s)`);
  run.progress.plan = list;
  setCurrentDetails(planMarkdown(list, run.progress.budget_usd));
}

/** The plan as Markdown: the run's current details in the Web UI, and what a person approves. */
export function planMarkdown(list: TodoList, budgetUsd: number): string {
  const rows = list.tasks.map(
    (t) =>
      `| ${t.id} | ${t.agent_role} | ${t.title.replace(/\|/g, '\\|')} | ${t.dependencies.join(', ') || '-'} | ${
        t.acceptance_criteria.tests.map((x) => `\`${x.cmd.replace(/\|/g, '\\|')}\``).join('<br>') || '-'
      } | ${t.timeout_seconds} s | ${t.requires_approval ? 'yes' : 'no'} |`,
  );
  return [
    `### Plan ${list.todo_list_id}`,
    '',
    `Request: ${list.request}`,
    '',
    `Budget: $${budgetUsd.toFixed(2)}`,
    '',
    '| task | role | title | depends on | acceptance tests | timeout | approval |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** The workflow never runs a TodoList its checks refuse: INVALID_TODO_LIST with every problem, before any work. */
export function checkedTodoList(value: unknown, what: string): TodoList {
  const checked = checkTodoList(value);
  if (!checked.ok && onlyMissingTests(checked.problems) && !patched(NO_TESTS_NO_PASS)) {
    // This run started before plans had to carry tests: it keeps the rules it started with.
    return TodoList.parse(value);
  }
  if (!checked.ok) {
    throw workflowFailure(
      'INVALID_TODO_LIST',
      `${what} has ${checked.problems.length} problem(s); nothing was run:\n${formatProblems(checked.problems)}`,
      undefined,
      checked.problems,
    );
  }
  return checked.value;
}

/**
 * The patch that made "no tests, no pass" part of the TodoList check (workflows started before it
 * replay without it). See the README: "Changing a workflow safely".
 */
export const NO_TESTS_NO_PASS = 'no-tests-no-pass';

const onlyMissingTests = (problems: Problem[]) =>
  problems.length > 0 && problems.every((p) => p.path.endsWith('.acceptance_criteria.tests'));

/** The TodoList's shape and meaning, checked with only the schema it needs (not every document's). */
function checkTodoList(value: unknown): { ok: true; value: TodoList } | { ok: false; problems: Problem[] } {
  const parsed = TodoList.safeParse(value);
  if (!parsed.success) return { ok: false, problems: problemsFromZod(parsed.error) };
  const problems = checkTodoListSemantics(parsed.data);
  return problems.length ? { ok: false, problems } : { ok: true, value: parsed.data };
}
