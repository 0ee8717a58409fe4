import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { RunView } from '../../contracts';
import { type Stack } from '../../runtime/stack';
import { startTestStack, type TestStack } from '../support/stack';
import { saveHistory } from '../workflows/harness';

/**
 * Real runs of today's code (the scripted model, the real activities, sandbox and Git) through the
 * situations a workflow change is most likely to break: a Debugger round, a rejected then re-planned
 * plan, an escalated gate, a cancellation, and continue-as-new. Each is checked here; with
 * DEVCREW_SAVE_HISTORIES=1 its history is kept in test/histories/ for the replay test.
 */
let t: TestStack;
let stack: Stack;

before(async () => {
  t = await startTestStack({ prefix: 'histories-', token: 'histories-token-4455' });
  stack = t.stack;
});
after(async () => t?.stop());

async function until(runId: string, ok: (r: RunView) => boolean, seconds = 240): Promise<RunView> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const r = await stack.runs.get(runId);
    if (ok(r)) return r;
    if (Date.now() > deadline)
      throw new Error(`run ${runId}: not there in ${seconds} s: ${JSON.stringify(r).slice(0, 1500)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}
const ended = (r: RunView) => !['running', 'awaiting_approval'].includes(r.status);
const gateOpen = (id: string) => (r: RunView) =>
  'pending_gates' in r && r.pending_gates.some((g) => g.gate_id === id);
const keep = (runId: string, name: string) => saveHistory(stack.client.workflow.getHandle(runId), name);

test('a real Debugger round', { timeout: 240_000 }, async () => {
  const { run_id } = await stack.runs.start({
    request: 'Create rate of change indicator',
    options: { mode: 'crew', gates: { plan: false } },
  });
  const done = await until(run_id, ended);
  assert.equal(done.status, 'completed');
  assert.equal('tasks' in done && done.tasks.find((t) => t.id === 'task_coder_001')?.rounds, 1);
  // real-debugger-round.json, kept before the debug-build-check patch, still replays the older way.
  await keep(run_id, 'real-debugger-round-build-checked');
});

test('a plan rejected with a comment is planned again, then approved', { timeout: 240_000 }, async () => {
  const { run_id } = await stack.runs.start({
    request: 'Create simple SMA crossover strategy',
    options: { mode: 'crew' },
  });
  await until(run_id, gateOpen('plan'));
  await stack.runs.decide(run_id, 'plan', { decision: 'reject', approver: 'ana', comment: 'keep it small' });
  await until(run_id, gateOpen('plan-2'));
  await stack.runs.decide(run_id, 'plan-2', { decision: 'approve', approver: 'ana' });
  assert.equal((await until(run_id, ended)).status, 'completed');
  await keep(run_id, 'real-plan-rejected-then-approved');
});

test('a gate nobody decides in time is escalated, then approved', { timeout: 240_000 }, async () => {
  const { run_id } = await stack.runs.start({
    request: 'Create simple SMA crossover strategy',
    options: { mode: 'crew', gates: { timeout_seconds: 1, on_timeout: 'escalate' } },
  });
  const escalated = await until(
    run_id,
    (r) => 'pending_gates' in r && r.pending_gates.some((g) => g.escalated_at),
  );
  assert.ok('pending_gates' in escalated && /ESCALATED/.test(escalated.pending_gates[0]!.waiting_for));
  await stack.runs.decide(run_id, 'plan', { decision: 'approve', approver: 'on-call' });
  assert.equal((await until(run_id, ended)).status, 'completed');
  await keep(run_id, 'real-escalated-gate');
});

test('a run cancelled in the middle of its tests', { timeout: 240_000 }, async () => {
  const { run_id } = await stack.runs.start({
    request: 'Create momentum strategy',
    options: { mode: 'crew', gates: { plan: false } },
  });
  await until(
    run_id,
    (r) => 'tasks' in r && r.tasks.some((t) => t.status === 'running' && t.agent_role === 'coder'),
  );
  await stack.runs.cancel(run_id);
  assert.equal((await until(run_id, ended)).status, 'cancelled');
  await keep(run_id, 'real-cancelled');
});

test('a long plan continues as new, and callers see one run', { timeout: 300_000 }, async () => {
  const architect = (i: number) => ({
    id: `task_architect_${String(i).padStart(3, '0')}`,
    title: `Contract part ${i}`,
    description: 'as recorded',
    agent_role: 'architect',
    dependencies: i === 0 ? [] : [`task_architect_${String(i - 1).padStart(3, '0')}`],
  });
  const { run_id } = await stack.runs.start({
    todo_list: {
      todo_list_id: 'todo_long_chain',
      schema_version: '1.0',
      request: 'Create simple SMA crossover strategy',
      tasks: Array.from({ length: 120 }, (_, i) => architect(i)) as never,
    },
    options: { mode: 'crew', history_event_limit: 500, parallelism: 1 },
  });
  const done = await until(run_id, ended, 280);
  assert.equal(done.status, 'completed', JSON.stringify(done).slice(0, 1000));
  const runs: string[] = [];
  for await (const w of stack.client.workflow.list({ query: `WorkflowId = '${run_id}'` })) runs.push(w.runId);
  assert.ok(runs.length >= 2, `continued as new: ${runs.length} executions`);
  assert.ok('tasks' in done && done.tasks.every((t) => t.status === 'completed'));
  // The first execution holds the continue-as-new: that is the history worth replaying.
  const first = await stack.client.workflow.getHandle(run_id, runs.at(-1)).fetchHistory();
  assert.ok(first.events?.some((e) => e.workflowExecutionContinuedAsNewEventAttributes));
  if (process.env.DEVCREW_SAVE_HISTORIES === '1') {
    await fs.writeFile(
      path.join(__dirname, '../histories/real-continued-as-new.json'),
      JSON.stringify(first, null, 1),
    );
  }
});
