import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { AgentActivities, SandboxActivities } from '../activities/types';
import {
  checkDocument,
  formatProblems,
  NO_USAGE,
  sumUsage,
  type AgentStepInput,
  type AgentStepResult,
  type ArtifactRef,
  type GateDecision,
  type GateOutcome,
  type ModelUsage,
  type PendingGate,
  type RunInput,
  type RunProgress,
  type RunResult,
  type TaskProgress,
  type TodoItem,
  type TodoList,
} from '../contracts';
import { decideGateSignal, decideGateUpdate, progressQuery } from './definitions';
import { NON_RETRYABLE_ERROR_TYPES } from './errors';
import { MODEL_PROVIDER, REQUEST, RUN_STATUS, TASK_COUNT, TODO_LIST_ID } from './search-attributes';

const DEFAULT_QUEUES = { agents: 'devcrew-agents', sandbox: 'devcrew-sandbox' };

interface Gate extends PendingGate {
  decision?: GateDecision;
  outcome?: GateOutcome;
}

/** Activity options per task: its timeout and retries become Temporal's, with backoff. */
function stepOptions(
  task: Pick<TodoItem, 'timeout_seconds' | 'max_retries'>,
  taskQueue: string,
  sandbox: boolean,
): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: `${task.timeout_seconds} seconds`,
    ...(sandbox ? { heartbeatTimeout: '30 seconds' } : {}),
    retry: {
      maximumAttempts: task.max_retries + 1,
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
    },
  };
}

/**
 * One devcrew run: plan (unless a TodoList is given) → plan approval → every task whose dependencies are
 * done, in parallel up to a limit, each through its agents → the integration branch → the result.
 * Retries, timeouts, approvals and persistence are Temporal's; this code only decides.
 */
export async function developWorkflow(input: RunInput): Promise<RunResult> {
  const options = input.options ?? {};
  const queues = input.task_queues ?? DEFAULT_QUEUES;
  const gateTimeout = options.gates?.timeout_seconds;
  const onTimeout = options.gates?.on_timeout ?? 'reject';
  const gates = new Map<string, Gate>();
  const state: RunProgress = {
    run_id: input.run_id,
    status: 'running',
    request: input.request ?? input.todo_list?.request ?? input.resume?.todo_list.request ?? '',
    todo_list_id: input.todo_list?.todo_list_id ?? null,
    tasks: [],
    pending_gates: [],
    usage: { ...NO_USAGE },
    usage_by_role: {},
    budget_usd: options.budget_usd ?? 1,
    model: input.model ?? null,
  };
  const now = () => new Date().toISOString();
  const pendingGates = () =>
    [...gates.values()]
      .filter((g) => !g.outcome)
      .map(({ gate_id, kind, waiting_for, since, escalated_at }) => ({
        gate_id,
        kind,
        waiting_for,
        since,
        ...(escalated_at ? { escalated_at } : {}),
      }));
  const progress = (): RunProgress => ({ ...state, pending_gates: pendingGates() });
  const setStatus = (status: RunProgress['status']) => {
    state.status = status;
    upsertSearchAttributes([{ key: RUN_STATUS, value: status }]);
  };

  const decide = (d: GateDecision): GateOutcome => {
    const gate = gates.get(d.gate_id)!;
    gate.decision = d;
    gate.outcome = {
      gate_id: d.gate_id,
      outcome: d.decision === 'approve' ? 'approved' : 'rejected',
      approver: d.approver,
      decided_at: now(),
    };
    return gate.outcome;
  };
  const check = (d: GateDecision) => {
    if (!d || typeof d.gate_id !== 'string') throw new Error('a decision needs a gate_id');
    const gate = gates.get(d.gate_id);
    if (!gate)
      throw ApplicationFailure.nonRetryable(
        `run ${input.run_id} has no gate "${d.gate_id}"; pending: ${
          pendingGates()
            .map((g) => g.gate_id)
            .join(', ') || 'none'
        }`,
        'GATE_NOT_FOUND',
      );
    if (gate.outcome)
      throw ApplicationFailure.nonRetryable(
        `gate "${d.gate_id}" was ${gate.outcome.outcome} by ${gate.outcome.approver} already`,
        'GATE_NOT_PENDING',
      );
    if (d.decision !== 'approve' && d.decision !== 'reject')
      throw ApplicationFailure.nonRetryable('decision must be "approve" or "reject"', 'INVALID_DECISION');
    if (typeof d.approver !== 'string' || d.approver.trim() === '')
      throw ApplicationFailure.nonRetryable('name the approver', 'INVALID_DECISION');
  };
  setHandler(progressQuery, progress);
  setHandler(decideGateUpdate, (d) => decide(d), { validator: check });
  setHandler(decideGateSignal, (d) => {
    try {
      check(d);
      decide(d);
    } catch (err) {
      log.warn('gate signal ignored', { reason: (err as Error).message });
    }
  });

  /** Waits for a person; with a timeout, the configured outcome decides. */
  async function waitAtGate(gate_id: string, kind: Gate['kind'], waiting_for: string): Promise<GateOutcome> {
    const gate: Gate = { gate_id, kind, waiting_for, since: now() };
    gates.set(gate_id, gate);
    const before = state.status;
    setStatus('awaiting_approval');
    const decided = gateTimeout
      ? await condition(() => gate.outcome !== undefined, `${gateTimeout} seconds`)
      : (await condition(() => gate.outcome !== undefined), true);
    if (!decided) {
      if (onTimeout === 'escalate') {
        // Nobody decided in time: the gate stays open, flagged for whoever watches escalations.
        gate.escalated_at = now();
        gate.waiting_for = `ESCALATED after ${gateTimeout} s without a decision: ${waiting_for}`;
        log.warn('gate escalated', { gate_id, after_seconds: gateTimeout });
        await condition(() => gate.outcome !== undefined);
      } else {
        decide({
          gate_id,
          decision: onTimeout,
          approver: `timeout after ${gateTimeout} s`,
          comment: 'no decision in time',
        });
      }
    }
    setStatus(before === 'awaiting_approval' ? 'running' : before);
    if (pendingGates().length > 0) setStatus('awaiting_approval');
    return gate.outcome!;
  }

  const addUsage = (u: ModelUsage | undefined, role: string) => {
    if (!u || (u.calls === 0 && u.cache_hits === 0)) return;
    state.usage = sumUsage(state.usage, u);
    state.usage_by_role[role] = sumUsage(state.usage_by_role[role] ?? NO_USAGE, u);
  };

  let budgetGates = 0;
  /** Before spending on a model: over budget, the run waits for a person to extend it. */
  async function withinBudget(taskId: string): Promise<void> {
    while (state.usage.cost_usd >= state.budget_usd) {
      budgetGates++;
      const outcome = await waitAtGate(
        `budget-${budgetGates}`,
        'budget',
        `spent $${state.usage.cost_usd.toFixed(4)} of $${state.budget_usd.toFixed(2)}; approve with a higher budget_usd to continue ${taskId}`,
      );
      const raised = gates.get(`budget-${budgetGates}`)?.decision?.budget_usd;
      if (outcome.outcome === 'rejected')
        throw ApplicationFailure.nonRetryable(
          `[BUDGET_EXCEEDED] the run spent $${state.usage.cost_usd.toFixed(4)} of its $${state.budget_usd.toFixed(2)} budget and the extension was rejected`,
          'BUDGET_EXCEEDED',
        );
      state.budget_usd = raised && raised > state.budget_usd ? raised : state.budget_usd * 2;
    }
  }

  upsertSearchAttributes([
    { key: RUN_STATUS, value: 'running' },
    { key: REQUEST, value: state.request.slice(0, 1000) },
    ...(input.model ? [{ key: MODEL_PROVIDER, value: input.model.provider }] : []),
  ]);
  const context = { workflow_id: workflowInfo().workflowId, correlation_id: input.run_id };
  const planner = proxyActivities<AgentActivities>(
    stepOptions({ timeout_seconds: 600, max_retries: 3 }, queues.agents, false),
  );

  let artifacts: RunResult['artifacts'] = null;
  let finalTests: { summary: NonNullable<RunResult['test_summary']>; path: string | null } | null = null;
  try {
    // 1. The plan: given, or made by the Planner and approved by a person.
    let todo: TodoList;
    const resume = input.resume;
    if (resume) {
      todo = resume.todo_list;
      state.todo_list_id = todo.todo_list_id;
      state.tasks = resume.tasks;
      state.usage = resume.usage;
      state.usage_by_role = resume.usage_by_role;
      state.budget_usd = resume.budget_usd;
      state.model = resume.model;
      if (resume.test_summary) {
        finalTests = {
          summary: resume.test_summary as NonNullable<RunResult['test_summary']>,
          path: resume.test_report_path ?? null,
        };
      }
    } else if (input.todo_list) {
      todo = validTodoList(input.todo_list, 'the given TodoList');
    } else {
      if (!input.request)
        throw ApplicationFailure.nonRetryable('give a request or a todo_list', 'INVALID_TODO_LIST');
      const maxReplans = options.max_replans ?? 2;
      let feedback: string | undefined;
      let previous: string | undefined;
      for (let attempt = 0; ; attempt++) {
        await withinBudget('planning');
        const plan = await planner.plan({
          ...context,
          request: input.request,
          feedback,
          previous_todo_list_id: previous,
        });
        addUsage(plan.usage, 'planner');
        state.model = plan.model;
        upsertSearchAttributes([{ key: MODEL_PROVIDER, value: plan.model.provider }]);
        todo = validTodoList(plan.todo_list, "the Planner's TodoList");
        showPlan(todo);
        if (options.gates?.plan === false) break;
        const gateId = attempt === 0 ? 'plan' : `plan-${attempt + 1}`;
        const outcome = await waitAtGate(
          gateId,
          'plan',
          `approval of the plan ${todo.todo_list_id} (${todo.tasks.length} tasks)`,
        );
        if (outcome.outcome === 'approved') break;
        if (attempt >= maxReplans) {
          setStatus('rejected');
          state.error = `the plan was rejected ${attempt + 1} time(s) by ${outcome.approver}`;
          return finish();
        }
        feedback = gates.get(gateId)?.decision?.comment ?? 'rejected without a comment';
        previous = todo.todo_list_id;
      }
    }
    if (!resume) showPlan(todo);
    upsertSearchAttributes([
      { key: TODO_LIST_ID, value: todo.todo_list_id },
      { key: TASK_COUNT, value: todo.tasks.length },
    ]);

    // 2. The tasks, as a DAG.
    const progressOf = new Map(state.tasks.map((t) => [t.id, t]));
    const refs = new Map<string, ArtifactRef>(Object.entries(resume?.refs ?? {}));
    const historyLimit = options.history_event_limit ?? 10_000;
    // Past the limit no task starts; once the running ones end, the run continues as new with its state.
    let draining = false;
    const running = new Map<string, Promise<void>>();
    const parallelism = options.parallelism ?? 4;
    let stopStarting = false;
    const skipDependents = (failedId: string, reason: string) => {
      for (const t of todo.tasks) {
        const p = progressOf.get(t.id)!;
        if (p.status === 'pending' && t.dependencies.includes(failedId)) {
          p.status = 'skipped';
          p.error = `skipped: dependency ${failedId} ${reason}`;
          p.finished_at = now();
          skipDependents(t.id, `was skipped`);
        }
      }
    };
    for (;;) {
      if (
        !draining &&
        (workflowInfo().historyLength > historyLimit || workflowInfo().continueAsNewSuggested)
      ) {
        draining = true;
      }
      if (!stopStarting && !draining) {
        for (const t of todo.tasks) {
          if (running.size >= parallelism) break;
          const p = progressOf.get(t.id)!;
          if (p.status !== 'pending' || running.has(t.id)) continue;
          if (!t.dependencies.every((d) => progressOf.get(d)?.status === 'completed')) continue;
          p.status = 'running';
          p.started_at = now();
          const job = runTask(
            t,
            p,
            t.dependencies.map((d) => refs.get(d)!),
          )
            .then((ref) => {
              if (ref) refs.set(t.id, ref);
            })
            .catch((err: unknown) => {
              if (isCancellation(err)) throw err;
              p.status = 'failed';
              p.error = describe(err);
            })
            .finally(() => {
              p.finished_at = now();
              running.delete(t.id);
              if (p.status !== 'completed') {
                skipDependents(t.id, p.status === 'rejected' ? 'was rejected' : 'failed');
                if (options.fail_fast) stopStarting = true;
              }
            });
          running.set(t.id, job);
        }
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
    if (draining && state.tasks.some((t) => t.status === 'pending')) {
      await condition(allHandlersFinished);
      const next: RunInput = {
        ...input,
        todo_list: undefined,
        request: input.request,
        resume: {
          generation: (resume?.generation ?? 0) + 1,
          todo_list: todo,
          // Only the latest steps of each task travel on, so the carried state stays small.
          tasks: state.tasks.map((t) => ({ ...t, history: t.history.slice(-3) })),
          refs: Object.fromEntries(refs),
          usage: state.usage,
          usage_by_role: state.usage_by_role,
          budget_usd: state.budget_usd,
          model: state.model,
          ...(finalTests ? { test_summary: finalTests.summary, test_report_path: finalTests.path } : {}),
        },
      };
      log.info('continuing as new', {
        events: workflowInfo().historyLength,
        generation: next.resume!.generation,
      });
      await continueAsNew<typeof developWorkflow>(next);
    }
    for (const p of state.tasks) {
      if (p.status === 'pending') {
        p.status = 'skipped';
        p.error = 'skipped: fail_fast stopped the run';
      }
    }

    // 3. The integration branch and the result.
    const done = todo.tasks.filter((t) => progressOf.get(t.id)!.status === 'completed');
    if (done.length > 0) {
      artifacts = await planner.integrate({ ...context, task_refs: done.map((t) => refs.get(t.id)!) });
    }
    const failed = state.tasks.filter((t) => t.status !== 'completed');
    if (failed.length === 0) setStatus('completed');
    else {
      setStatus(
        failed.every((t) => t.status === 'rejected' || t.status === 'skipped') &&
          failed.some((t) => t.status === 'rejected')
          ? 'rejected'
          : 'failed',
      );
      state.error = failed.map((t) => `${t.id}: ${t.status}${t.error ? ` (${t.error})` : ''}`).join('; ');
    }
    return finish();

    function showPlan(list: TodoList) {
      state.todo_list_id = list.todo_list_id;
      state.tasks = list.tasks.map((t) => ({
        id: t.id,
        title: t.title,
        agent_role: t.agent_role,
        status: 'pending',
        attempts: 0,
        rounds: 0,
        started_at: null,
        finished_at: null,
        history: [],
      }));
    }

    async function runTask(
      task: TodoItem,
      p: TaskProgress,
      deps: ArtifactRef[],
    ): Promise<ArtifactRef | undefined> {
      if (task.requires_approval && options.gates?.tasks !== false) {
        p.status = 'awaiting_approval';
        const outcome = await waitAtGate(
          `task-${task.id}`,
          'task',
          `approval to run task ${task.id}: ${task.title}`,
        );
        if (outcome.outcome === 'rejected') {
          p.status = 'rejected';
          p.error = `rejected by ${outcome.approver}${outcome.approver && gates.get(`task-${task.id}`)?.decision?.comment ? `: ${gates.get(`task-${task.id}`)?.decision?.comment}` : ''}`;
          return undefined;
        }
        p.status = 'running';
      }
      const agents = proxyActivities<AgentActivities>(stepOptions(task, queues.agents, false));
      const sandbox = proxyActivities<SandboxActivities>(stepOptions(task, queues.sandbox, true));
      let base = await agents.prepareTask({ ...context, task_id: task.id, dependency_refs: deps });
      const step = (round?: number, failing?: string): AgentStepInput => ({
        ...context,
        request: state.request,
        task,
        base,
        ...(round ? { round } : {}),
        ...(failing ? { failing_report_path: failing } : {}),
      });
      const record = (agent: TaskProgress['history'][number]['agent'], r: AgentStepResult, round = 0) => {
        p.attempts++;
        addUsage(r.usage, agent === 'build-checker' ? 'coder' : agent);
        base = r.ref;
        p.ref = r.ref;
        p.history.push({
          round,
          agent,
          passed: r.passed,
          summary: r.summary,
          commit: r.ref.commit,
          ...(r.report_path ? { report_path: r.report_path } : {}),
          at: now(),
        });
        if (r.test_summary) finalTests = { summary: r.test_summary, path: r.report_path ?? null };
      };
      const model = async (
        fn: (i: AgentStepInput) => Promise<AgentStepResult>,
        agent: 'architect' | 'coder' | 'debugger',
        round?: number,
        failing?: string,
      ) => {
        await withinBudget(task.id);
        const r = await fn(step(round, failing));
        record(agent, r, round);
        return r;
      };
      const testAndDebug = async (): Promise<void> => {
        const maxRounds = options.max_debug_rounds ?? 5;
        let tests = await sandbox.runTests(step());
        record('tester', tests);
        for (let round = 1; !tests.passed && round <= maxRounds; round++) {
          p.rounds = round;
          await model(agents.debug, 'debugger', round, tests.report_path);
          tests = await sandbox.runTests(step(round));
          record('tester', tests, round);
        }
        if (!tests.passed) {
          throw ApplicationFailure.nonRetryable(
            `[TESTS_FAILED] ${tests.summary} after ${p.rounds} debugger round(s); see ${tests.report_path} at ${tests.ref.commit.slice(0, 12)}`,
            'TESTS_FAILED',
          );
        }
      };

      switch (task.agent_role) {
        case 'architect':
          await model(agents.architect, 'architect');
          break;
        case 'coder': {
          await model(agents.code, 'coder');
          const build = await sandbox.checkBuild(step());
          record('build-checker', build);
          if (!build.passed) {
            await model(agents.code, 'coder', undefined, build.report_path);
            const again = await sandbox.checkBuild(step());
            record('build-checker', again);
          }
          await testAndDebug();
          break;
        }
        case 'tester':
          await testAndDebug();
          break;
        case 'debugger':
          await model(agents.debug, 'debugger', 1);
          await testAndDebug();
          break;
      }
      const tagged = await agents.finishTask({ ...context, task_id: task.id, ref: base });
      p.ref = tagged;
      p.status = 'completed';
      return tagged;
    }
  } catch (err) {
    if (isCancellation(err)) {
      setStatus('cancelled');
      state.error = 'cancelled';
      for (const t of state.tasks)
        if (t.status === 'running' || t.status === 'pending' || t.status === 'awaiting_approval')
          t.status = 'cancelled';
      for (const g of gates.values())
        if (!g.outcome)
          g.outcome = {
            gate_id: g.gate_id,
            outcome: 'rejected',
            approver: 'cancellation',
            decided_at: now(),
          };
      return finish();
    }
    throw err;
  }

  function finish(): RunResult {
    const result: RunResult = {
      ...progress(),
      artifacts,
      test_summary: finalTests?.summary ?? null,
      test_report_path: finalTests?.path ?? null,
    };
    return result;
  }
}

function validTodoList(value: unknown, what: string): TodoList {
  const checked = checkDocument('todo', value);
  if (!checked.ok) {
    throw ApplicationFailure.create({
      type: 'INVALID_TODO_LIST',
      nonRetryable: true,
      message: `[INVALID_TODO_LIST] ${what} has ${checked.problems.length} problem(s); nothing was run:\n${formatProblems(checked.problems)}`,
      details: [checked.problems],
    });
  }
  return checked.value;
}

/** One line for the progress view: the innermost cause and its type. */
function describe(err: unknown): string {
  let e = err as { message?: string; cause?: unknown; type?: string } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return `${e?.type ? `${e.type}: ` : ''}${e?.message ?? String(err)}`.slice(0, 1000);
}
