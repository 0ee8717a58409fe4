import {
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  TemporalFailure,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { AgentActivities } from '../activities/types';
import type { ArtifactRef, GivenRunInput, RunInput, RunResult, TodoList } from '../contracts';
import { modelCall, PLANNING, storeStep } from './activity-options';
import { signatures } from './gates';
import { planRun, showPlan } from './planning';
import { openRun } from './run-entity';
import type { RunState } from './run-state';
import { runDag } from './scheduler';
import { MODE, MODEL_PROVIDER, REQUEST, RUN_STATUS, TASK_COUNT, TODO_LIST_ID } from './search-attributes';
import { runTask } from './task-pipeline';
import { cancelOpenTasks, describeFailure, failOpenTasks, TaskBoard } from './task-state';

/**
 * One devcrew run by the crew: plan (unless a TodoList is given) → plan approval → every task whose
 * dependencies are done, in parallel up to a limit, each through its agents → the integration branch →
 * the result. Retries, timeouts, approvals and persistence are Temporal's; this code only decides.
 */
export async function developWorkflow(given: GivenRunInput): Promise<RunResult> {
  const { input, queues, run, gates, budget } = openRun(given);
  const options = input.options;

  upsertSearchAttributes([
    { key: RUN_STATUS, value: 'running' },
    { key: REQUEST, value: run.progress.request.slice(0, 1000) },
    { key: MODE, value: run.progress.mode },
    ...(input.model ? [{ key: MODEL_PROVIDER, value: input.model.provider }] : []),
  ]);
  const planner = proxyActivities<AgentActivities>(modelCall(PLANNING, queues.agents));
  const store = proxyActivities<AgentActivities>(storeStep(PLANNING, queues.agents));

  try {
    // 1. The plan: carried over, given, or made by the Planner and approved by a person.
    let todo: TodoList | undefined;
    const resume = input.resume;
    if (resume) {
      todo = resume.todo_list;
      resumeFrom(run, resume);
    } else {
      todo = await planRun({ input, run, gates, budget }, planner);
      if (!todo) return run.result(gates.pending());
      showPlan(run, todo);
    }
    upsertSearchAttributes([
      { key: TODO_LIST_ID, value: todo.todo_list_id },
      { key: TASK_COUNT, value: todo.tasks.length },
    ]);

    // 2. The tasks, as a DAG; a history grown too long continues as new with the run's state.
    const board = new TaskBoard(run.progress.tasks, run);
    const refs = new Map<string, ArtifactRef>(Object.entries(resume?.refs ?? {}));
    const ctx = { input, run, gates, budget, board, queues };
    const { drained } = await runDag({
      list: todo,
      board,
      refs,
      options,
      runTask: (task, deps) => runTask(ctx, task, deps),
    });
    if (drained) {
      await condition(allHandlersFinished);
      // The next generation's input keeps the shape this one was given (its history records it).
      const next = nextGeneration(given, todo, run, refs);
      log.info('continuing as new', { generation: next.resume!.generation });
      await continueAsNew<typeof developWorkflow>(next);
    }
    board.skipPending('skipped: fail_fast stopped the run');

    // 3. The integration branch and the result.
    const done = todo.tasks.filter((t) => board.status(t.id) === 'completed');
    if (done.length > 0) {
      run.integrated(
        await store.integrate.executeWithOptions(
          { summary: `Store: integrate ${done.length} task result(s)` },
          [
            {
              run_id: input.run_id,
              task_refs: done.map((t) => refs.get(t.id)!),
              ...(options.push !== undefined ? { push: options.push } : {}),
              ...signatures(gates),
            },
          ],
        ),
      );
    }
    const failed = run.progress.tasks.filter((t) => t.status !== 'completed');
    if (failed.length === 0) run.setStatus('completed');
    else {
      const rejected =
        failed.every((t) => t.status === 'rejected' || t.status === 'skipped') &&
        failed.some((t) => t.status === 'rejected');
      run.fail(
        rejected ? 'rejected' : 'failed',
        failed.map((t) => `${t.id}: ${t.status}${t.error ? ` (${t.error})` : ''}`).join('; '),
      );
    }
    return run.result(gates.pending());
  } catch (err) {
    if (isCancellation(err)) {
      // The tasks and gates first: the run's own end is the last event of its stream.
      cancelOpenTasks(run.progress.tasks, run);
      gates.closeAll('cancellation');
      run.fail('cancelled', 'cancelled');
      return run.result(gates.pending());
    }
    // Whatever else ended the run (the Planner's call failing for good, a model that is not served, the
    // retry window running out, a plan still invalid after its repairs, the budget) ends it the same way
    // as a failing task: status, search attributes, metrics, `run_finished`, a result. A plain Error is a
    // bug in this code: it fails the workflow task, and the run waits for a fixed worker instead.
    if (!(err instanceof TemporalFailure) || !patched(TRUTHFUL_ENDS)) throw err;
    const reason = describeFailure(err);
    failOpenTasks(run.progress.tasks, reason, run);
    gates.closeAll('run failed');
    run.fail('failed', reason);
    return run.result(gates.pending());
  }
}

/** Runs that fail outside a task end with a result and their status recorded (issue: truthful ends). */
export const TRUTHFUL_ENDS = 'truthful-ends';

type Resume = NonNullable<RunInput['resume']>;

/** A continued run picks up where the previous generation left off. */
function resumeFrom(run: RunState, resume: Resume): void {
  const p = run.progress;
  p.todo_list_id = resume.todo_list.todo_list_id;
  p.tasks = resume.tasks;
  p.usage = resume.usage;
  p.usage_by_role = resume.usage_by_role;
  p.budget_usd = resume.budget_usd;
  p.model = resume.model;
  if (resume.test_summary) {
    run.finalTests = {
      summary: resume.test_summary as NonNullable<RunResult['test_summary']>,
      path: resume.test_report_path ?? null,
    };
  }
}

/** The input of the next generation: the plan, the tasks (with only their latest steps), refs and spend. */
function nextGeneration(
  input: GivenRunInput,
  todo: TodoList,
  run: RunState,
  refs: Map<string, ArtifactRef>,
): GivenRunInput {
  const p = run.progress;
  return {
    ...input,
    todo_list: undefined,
    request: input.request,
    resume: {
      generation: (input.resume?.generation ?? 0) + 1,
      todo_list: todo,
      tasks: p.tasks.map((t) => ({ ...t, history: t.history.slice(-3) })),
      refs: Object.fromEntries(refs),
      usage: p.usage,
      usage_by_role: p.usage_by_role,
      budget_usd: p.budget_usd,
      model: p.model,
      ...(run.finalTests
        ? { test_summary: run.finalTests.summary, test_report_path: run.finalTests.path }
        : {}),
      test_outcomes_by_task: run.testOutcomesByTask(),
      // The newest events carry on, and their numbering with them: a live view reconnects across it.
      events: run.events.slice(-200),
    },
  };
}
