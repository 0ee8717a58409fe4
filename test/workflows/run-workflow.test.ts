import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RunProgress, TodoList } from '../../contracts';
import { decideGateSignal, decideGateUpdate, progressQuery } from '../../workflows/definitions';
import { testEnvironment } from '../support/env';
import { todoList } from '../support/todo-lists';
import { fakeActivities, type Call } from './fakes';
import { diamond, saveHistory, startRun } from './harness';

let env: TestWorkflowEnvironment;
before(async () => (env = await testEnvironment()));
after(async () => env?.teardown());

const span = (calls: Call[], task: string) => {
  const mine = calls.filter((c) => c.task === task);
  return { start: Math.min(...mine.map((c) => c.start)), end: Math.max(...mine.map((c) => c.end)) };
};

async function until(
  handle: { query: (q: typeof progressQuery) => Promise<RunProgress> },
  ok: (p: RunProgress) => boolean,
) {
  for (let i = 0; i < 200; i++) {
    const p = await handle.query(progressQuery);
    if (ok(p)) return p;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not reached');
}

test('a diamond runs its two middle tasks at the same time and integrates every result', async () => {
  const acts = fakeActivities({ delayMs: 300 });
  const run = await startRun(env, acts, { todo_list: diamond() });
  try {
    const result = await run.handle.result();
    assert.equal(result.status, 'completed');
    assert.deepEqual(
      result.tasks.map((t) => `${t.id}:${t.status}`),
      ['a:completed', 'b:completed', 'c:completed', 'd:completed'],
    );
    const b = span(acts.calls, 'b');
    const c = span(acts.calls, 'c');
    assert.ok(
      b.start < c.end && c.start < b.end,
      `b [${b.start}, ${b.end}] and c [${c.start}, ${c.end}] overlap`,
    );
    const a = span(acts.calls, 'a');
    const d = span(acts.calls, 'd');
    assert.ok(
      a.end <= Math.min(b.start, c.start) && Math.max(b.end, c.end) <= d.start,
      'dependencies come first',
    );
    assert.match(result.artifacts?.branch ?? '', /_integration$/);
    // Each tested task keeps its own totals; the run's are their sum (b, c and d each ran 3 tests).
    for (const id of ['b', 'c', 'd']) {
      const task = result.tasks.find((t) => t.id === id)!;
      assert.deepEqual(task.test_summary, { passed: 3, failed: 0, skipped: 0, errors: 0, duration_s: 0.1 });
    }
    assert.equal(
      result.tasks.find((t) => t.id === 'a')!.test_summary,
      undefined,
      'the architect ran no tests',
    );
    assert.deepEqual(result.test_summary, { passed: 9, failed: 0, skipped: 0, errors: 0, duration_s: 0.3 });
    const coder = result.tasks.find((t) => t.id === 'b')!;
    assert.deepEqual(
      coder.history.map((h) => h.agent),
      ['coder', 'build-checker', 'tester'],
    );
    await saveHistory(run.handle, 'fake-diamond');
  } finally {
    await run.stop();
  }
});

test('a task that fails for good skips its dependents with the reason, while independent branches go on', async () => {
  const acts = fakeActivities({ broken: { b: { message: 'the coder could not' } } });
  const run = await startRun(env, acts, { todo_list: diamond() });
  try {
    const result = await run.handle.result();
    assert.equal(result.status, 'failed');
    const by = Object.fromEntries(result.tasks.map((t) => [t.id, t]));
    assert.equal(by.b!.status, 'failed');
    assert.match(by.b!.error ?? '', /the coder could not/);
    assert.equal(by.c!.status, 'completed');
    assert.equal(by.d!.status, 'skipped');
    assert.match(by.d!.error ?? '', /dependency b failed/);
    assert.match(result.error ?? '', /b: failed/);
  } finally {
    await run.stop();
  }
});

test("retries honour the task's max_retries", async () => {
  const acts = fakeActivities({ broken: { a: { retryable: true, message: 'flaky' } } });
  const list = todoList([{ id: 'a', agent_role: 'architect', max_retries: 2 }]) as unknown as TodoList;
  const run = await startRun(env, acts, { todo_list: list });
  try {
    const result = await run.handle.result();
    assert.equal(result.status, 'failed');
    assert.equal(
      acts.calls.filter((c) => c.activity === 'architect:failed').length,
      3,
      'one try and two retries',
    );
  } finally {
    await run.stop();
  }
});

test('failing tests get debugger rounds until they pass, each round recorded', async () => {
  const acts = fakeActivities({ failingTests: { b: 2 } });
  const run = await startRun(env, acts, { todo_list: todoList([{ id: 'b' }]) as unknown as TodoList });
  try {
    const result = await run.handle.result();
    assert.equal(result.status, 'completed');
    const b = result.tasks[0]!;
    assert.equal(b.rounds, 2);
    assert.deepEqual(
      b.history.map((h) => `${h.agent}${h.round ? `#${h.round}` : ''}:${h.passed ? 'ok' : 'fail'}`),
      [
        'coder:ok',
        'build-checker:ok',
        'tester:fail',
        'debugger#1:ok',
        'build-checker#1:ok',
        'tester#1:fail',
        'debugger#2:ok',
        'build-checker#2:ok',
        'tester#2:ok',
      ],
    );
  } finally {
    await run.stop();
  }
});

test('a step Temporal retried counts whole in its record: every attempt and the wait between them', async () => {
  // The Coder's first attempt fails (a runaway answer), Temporal tries again a second later.
  const acts = fakeActivities({ agentDelayMs: 300, failFirst: { code: 1 } });
  const run = await startRun(env, acts, { todo_list: todoList([{ id: 'b' }]) as unknown as TodoList });
  try {
    const result = await run.handle.result();
    assert.equal(result.status, 'completed');
    const history = result.tasks[0]!.history;
    const coder = history.find((h) => h.agent === 'coder')!;
    const attempts = acts.calls.filter((c) => c.task === 'b' && c.activity.startsWith('code'));
    assert.deepEqual(
      attempts.map((c) => c.activity),
      ['code:failed', 'code'],
    );
    const both = (attempts[1]!.end - attempts[0]!.start) / 1000;
    assert.ok(both >= 1.5, `two attempts of 0.3 s and a 1 s backoff: ${both} s`);
    assert.ok(coder.seconds! >= both - 0.1, `the coder step took ${coder.seconds} s, its attempts ${both} s`);
    const tester = history.find((h) => h.agent === 'tester')!;
    assert.ok(tester.seconds! >= 0.3 && tester.seconds! < both, `the tester step took ${tester.seconds} s`);
  } finally {
    await run.stop();
  }
});

test('tests that still fail after the last debugger round fail the task with TESTS_FAILED', async () => {
  const acts = fakeActivities({ failingTests: { b: 99 } });
  const run = await startRun(env, acts, {
    todo_list: todoList([{ id: 'b' }]) as unknown as TodoList,
    options: { max_debug_rounds: 2 },
  });
  try {
    const result = await run.handle.result();
    assert.equal(result.status, 'failed');
    assert.match(result.tasks[0]!.error ?? '', /TESTS_FAILED.*after 2 debugger round/);
  } finally {
    await run.stop();
  }
});

test('the plan waits at its gate; an update approves it once, and bad decisions are refused up front', async () => {
  const acts = fakeActivities({ plan: () => diamond() });
  const run = await startRun(env, acts, { request: 'Create simple SMA crossover strategy' });
  try {
    const waiting = await until(run.handle, (p) => p.pending_gates.length > 0);
    assert.equal(waiting.status, 'awaiting_approval');
    assert.equal(waiting.pending_gates[0]!.gate_id, 'plan');
    assert.equal(waiting.tasks.length, 4, 'the plan is visible while it waits');
    assert.ok(
      acts.calls.every((c) => c.activity === 'plan'),
      'no task ran before approval',
    );

    await assert.rejects(
      run.handle.executeUpdate(decideGateUpdate, {
        args: [{ gate_id: 'nope', decision: 'approve', approver: 'ana' }],
      }),
      (err: unknown) =>
        err instanceof WorkflowUpdateFailedError &&
        /has no gate "nope"/.test(String((err.cause as Error).message)),
    );
    await assert.rejects(
      run.handle.executeUpdate(decideGateUpdate, {
        args: [{ gate_id: 'plan', decision: 'approve', approver: ' ' }],
      }),
    );
    const outcome = await run.handle.executeUpdate(decideGateUpdate, {
      args: [{ gate_id: 'plan', decision: 'approve', approver: 'ana' }],
    });
    assert.equal(outcome.outcome, 'approved');
    await assert.rejects(
      run.handle.executeUpdate(decideGateUpdate, {
        args: [{ gate_id: 'plan', decision: 'reject', approver: 'bo' }],
      }),
      (err: unknown) =>
        err instanceof WorkflowUpdateFailedError &&
        /approved by ana already/.test(String((err.cause as Error).message)),
    );
    const result = await run.handle.result();
    assert.equal(result.status, 'completed');
    assert.deepEqual(result.model, { provider: 'scripted', name: 'scripted' });
  } finally {
    await run.stop();
  }
});

test('a rejected plan is planned again with the comment, and a signal can approve the new one', async () => {
  const acts = fakeActivities({
    plan: () => todoList([{ id: 'a', agent_role: 'architect' }]) as unknown as TodoList,
  });
  const run = await startRun(env, acts, { request: 'Create momentum strategy' });
  try {
    await until(run.handle, (p) => p.pending_gates.some((g) => g.gate_id === 'plan'));
    await run.handle.executeUpdate(decideGateUpdate, {
      args: [{ gate_id: 'plan', decision: 'reject', approver: 'ana', comment: 'smaller' }],
    });
    await until(run.handle, (p) => p.pending_gates.some((g) => g.gate_id === 'plan-2'));
    assert.equal(acts.calls.filter((c) => c.activity === 'plan').length, 2);
    await run.handle.signal(decideGateSignal, { gate_id: 'plan-2', decision: 'approve', approver: 'bo' });
    assert.equal((await run.handle.result()).status, 'completed');
  } finally {
    await run.stop();
  }
});

test('a gate nobody decides in time takes its configured outcome', async () => {
  const acts = fakeActivities({ plan: () => diamond() });
  const run = await startRun(env, acts, {
    request: 'Create simple SMA crossover strategy',
    options: { gates: { timeout_seconds: 1, on_timeout: 'reject' }, max_replans: 0 },
  });
  try {
    const result = await run.handle.result();
    assert.equal(result.status, 'rejected');
    assert.equal(acts.calls.filter((c) => c.activity !== 'plan').length, 0);
  } finally {
    await run.stop();
  }
});

test('a task that needs approval and is rejected ends rejected, and its dependents are skipped', async () => {
  const acts = fakeActivities({});
  const list = todoList([
    { id: 'a', requires_approval: true },
    { id: 'b', dependencies: ['a'] },
  ]) as unknown as TodoList;
  const run = await startRun(env, acts, { todo_list: list });
  try {
    await until(run.handle, (p) => p.pending_gates.some((g) => g.gate_id === 'task-a'));
    await run.handle.executeUpdate(decideGateUpdate, {
      args: [{ gate_id: 'task-a', decision: 'reject', approver: 'ana', comment: 'not now' }],
    });
    const result = await run.handle.result();
    assert.equal(result.status, 'rejected');
    assert.deepEqual(
      result.tasks.map((t) => `${t.id}:${t.status}`),
      ['a:rejected', 'b:skipped'],
    );
  } finally {
    await run.stop();
  }
});

test('over budget, the run waits at an extend-budget gate instead of spending', async () => {
  const acts = fakeActivities({ costPerCall: 0.6 });
  const list = todoList([
    { id: 'a', agent_role: 'architect' },
    { id: 'b', agent_role: 'architect', dependencies: ['a'] },
    { id: 'c', agent_role: 'architect', dependencies: ['b'] },
  ]) as unknown as TodoList;
  const run = await startRun(env, acts, { todo_list: list, options: { budget_usd: 1 } });
  try {
    const waiting = await until(run.handle, (p) => p.pending_gates.some((g) => g.kind === 'budget'));
    assert.equal(
      acts.calls.filter((c) => c.activity === 'architect').length,
      2,
      'no model call past the budget',
    );
    assert.ok(waiting.usage.cost_usd >= 1);
    await run.handle.executeUpdate(decideGateUpdate, {
      args: [{ gate_id: 'budget-1', decision: 'approve', approver: 'ana', budget_usd: 5 }],
    });
    const result = await run.handle.result();
    assert.equal(result.status, 'completed');
    assert.equal(result.budget_usd, 5);
    await saveHistory(run.handle, 'fake-budget-gate');
  } finally {
    await run.stop();
  }
});

test('cancelling a run mid-way ends it cancelled', async () => {
  const acts = fakeActivities({ delayMs: 500 });
  const run = await startRun(env, acts, { todo_list: diamond() });
  try {
    await until(run.handle, (p) => p.tasks.some((t) => t.status === 'running'));
    await run.handle.cancel();
    const result = await run.handle.result();
    assert.equal(result.status, 'cancelled');
    assert.ok(result.tasks.some((t) => t.status === 'cancelled'));
  } finally {
    await run.stop();
  }
});

test('an invalid TodoList is refused before any work with every problem listed', async () => {
  const acts = fakeActivities({});
  const bad = todoList([{ id: 'a', dependencies: ['ghost'] }, { id: 'a' }]) as unknown as TodoList;
  const run = await startRun(env, acts, { todo_list: bad });
  try {
    // The run ends failed, with its reason, like any other failed run (not a bare workflow failure).
    const result = await run.handle.result();
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /^\[INVALID_TODO_LIST\] .* 2 problem\(s\)/);
    assert.match(result.error ?? '', /duplicate task id "a"/);
    assert.match(result.error ?? '', /"ghost", which is not a task/);
    assert.equal(acts.calls.length, 0);
  } finally {
    await run.stop();
  }
});

test('a gate set to escalate stays open past its timeout, flagged, until a person decides', async () => {
  const acts = fakeActivities({ plan: () => diamond() });
  const run = await startRun(env, acts, {
    request: 'Create simple SMA crossover strategy',
    options: { gates: { timeout_seconds: 1, on_timeout: 'escalate' } },
  });
  try {
    const escalated = await until(run.handle, (p) =>
      p.pending_gates.some((g) => g.escalated_at !== undefined),
    );
    assert.equal(escalated.status, 'awaiting_approval');
    assert.match(escalated.pending_gates[0]!.waiting_for, /^ESCALATED after 1 s/);
    assert.ok(
      acts.calls.every((c) => c.activity === 'plan'),
      'nothing ran meanwhile',
    );
    await run.handle.executeUpdate(decideGateUpdate, {
      args: [{ gate_id: 'plan', decision: 'approve', approver: 'lead' }],
    });
    assert.equal((await run.handle.result()).status, 'completed');
  } finally {
    await run.stop();
  }
});
