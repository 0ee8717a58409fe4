import { isCancellation, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { AgentActivities, SandboxActivities } from '../activities/types';
import type {
  AgentStepInput,
  AgentStepResult,
  RoundRecord,
  GivenRunInput,
  RunResult,
  TodoItem,
} from '../contracts';
import { workflowFailure } from '../core/failure';
import { modelCall, sandboxRun, storeStep } from './activity-options';
import { signatures } from './gates';
import { openRun } from './run-entity';
import { MODE, MODEL_PROVIDER, REQUEST, RUN_STATUS, TASK_COUNT } from './search-attributes';
import { cancelOpenTasks, describeFailure, TaskBoard, taskFields } from './task-state';

/** The single agent's one task: its branch is `ai/generated/{run_id}/single_agent`. */
export const SINGLE_AGENT_TASK_ID = 'single_agent';

/**
 * The single-agent baseline the crew is measured against (the migration plan's current system): one
 * model call writes code and tests for the whole request, the tests run in the same sandbox, a failure
 * goes back to the model with the report, up to `max_attempts` (5). Same activities, store, budget and
 * cache as the crew; the same progress and result shapes, so everything that reads a run reads this.
 */
export async function singleAgentWorkflow(given: GivenRunInput): Promise<RunResult> {
  const { input, queues, run, gates, budget } = openRun(given);
  const options = input.options;
  const request = input.request ?? input.todo_list?.request;
  upsertSearchAttributes([
    { key: RUN_STATUS, value: 'running' },
    { key: REQUEST, value: run.progress.request.slice(0, 1000) },
    { key: MODE, value: run.progress.mode },
    { key: TASK_COUNT, value: 1 },
    ...(input.model ? [{ key: MODEL_PROVIDER, value: input.model.provider }] : []),
  ]);
  const task = singleAgentTask(request ?? '');
  run.progress.tasks = [
    {
      id: task.id,
      title: task.title,
      agent_role: 'single-agent',
      status: 'pending',
      attempts: 0,
      rounds: 0,
      started_at: null,
      finished_at: null,
      history: [],
    },
  ];
  const board = new TaskBoard(run.progress.tasks, run);
  const agents = proxyActivities<AgentActivities>(modelCall(task, queues.agents));
  const store = proxyActivities<AgentActivities>(storeStep(task, queues.agents));
  const sandbox = proxyActivities<SandboxActivities>(sandboxRun(task, queues.sandbox));

  try {
    if (!request)
      throw workflowFailure(
        'INVALID_TODO_LIST',
        'give a request or a todo_list',
        taskFields(input.run_id, task.id),
      );
    board.start(task.id);
    let base = await store.prepareTask({ run_id: input.run_id, task_id: task.id, dependency_refs: [] });
    const step = (attempt: number, failing?: string): AgentStepInput => ({
      run_id: input.run_id,
      request,
      task,
      base,
      round: attempt,
      ...(failing ? { failing_report_path: failing } : {}),
    });
    const record = (agent: RoundRecord['agent'], r: AgentStepResult, attempt: number) => {
      run.addUsage(r.usage, agent);
      base = r.ref;
      board.record(task.id, agent, r, attempt);
      if (r.test_summary) run.finalTests = { summary: r.test_summary, path: r.report_path ?? null };
      run.recordTests(task.id, r.test_outcomes);
    };
    const maxAttempts = options.max_attempts ?? 5;
    let tests: AgentStepResult | undefined;
    for (let attempt = 1; attempt <= maxAttempts && !tests?.passed; attempt++) {
      board.setRounds(task.id, attempt - 1);
      await budget.ensure(task.id);
      board.stepScheduled(task.id);
      const written = await agents.singleAgent.executeWithOptions(
        { summary: `Single agent: attempt ${attempt}` },
        [step(attempt, tests?.report_path)],
      );
      if (written.model) run.setModel(written.model);
      record('single-agent', written, attempt);
      board.stepScheduled(task.id);
      tests = await sandbox.runTests.executeWithOptions(
        { summary: `Tester: single_agent, attempt ${attempt}` },
        [step(attempt)],
      );
      record('tester', tests, attempt);
    }
    if (!tests?.passed) {
      const attempts = board.get(task.id).rounds + 1;
      throw workflowFailure(
        'TESTS_FAILED',
        `${tests?.summary ?? 'no tests ran'} after ${attempts} attempt(s); see ${tests?.report_path} at ${tests?.ref.commit.slice(0, 12)}`,
        taskFields(input.run_id, task.id, tests),
      );
    }
    const tagged = await store.finishTask({ run_id: input.run_id, task_id: task.id, ref: base });
    board.complete(task.id, tagged);
    board.finished(task.id);
    const push = options.push;
    run.integrated(
      await store.integrate({
        run_id: input.run_id,
        task_refs: [tagged],
        ...(push !== undefined ? { push } : {}),
        ...signatures(gates),
      }),
    );
    run.setStatus('completed');
  } catch (err) {
    if (isCancellation(err)) {
      // The tasks and gates first: the run's own end is the last event of its stream.
      cancelOpenTasks(run.progress.tasks, run);
      gates.closeAll('cancellation');
      run.fail('cancelled', 'cancelled');
      return run.result(gates.pending());
    }
    const reason = describeFailure(err);
    if (board.status(task.id) !== 'completed') {
      board.fail(task.id, reason);
      board.finished(task.id);
    }
    run.fail('failed', `${task.id}: failed (${reason})`);
  }
  return run.result(gates.pending());
}

/** The request as one task: code and tests in one go, checked by the tests the agent writes. */
function singleAgentTask(request: string): TodoItem {
  return {
    id: SINGLE_AGENT_TASK_ID,
    title: `Single agent: ${request.slice(0, 150)}`,
    description: request,
    agent_role: 'coder',
    dependencies: [],
    acceptance_criteria: { tests: [{ cmd: 'python3 -m pytest -q', timeout_seconds: 300 }] },
    timeout_seconds: 600,
    max_retries: 3,
    requires_approval: false,
  };
}
