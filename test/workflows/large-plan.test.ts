import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TodoList } from '../../contracts';
import { progressQuery } from '../../workflows/definitions';
import { testEnvironment } from '../support/env';
import { todoList } from '../support/todo-lists';
import { fakeActivities } from './fakes';
import { startRun } from './harness';

let env: TestWorkflowEnvironment;
before(async () => (env = await testEnvironment()));
after(async () => env?.teardown());

test(
  'a 500-task plan runs through continue-as-new, and callers see one run',
  { timeout: 600_000 },
  async () => {
    // 25 independent chains of 20 tasks each.
    const tasks = Array.from({ length: 500 }, (_, i) => ({
      id: `t${i}`,
      agent_role: 'architect',
      dependencies: i % 20 === 0 ? [] : [`t${i - 1}`],
    }));
    const acts = fakeActivities({});
    const run = await startRun(env, acts, {
      todo_list: todoList(tasks) as unknown as TodoList,
      options: { parallelism: 25, history_event_limit: 1500 },
    });
    try {
      const firstRunId = run.handle.firstExecutionRunId;
      let midway = await run.handle.query(progressQuery);
      for (let i = 0; i < 600 && midway.tasks.filter((t) => t.status === 'completed').length < 100; i++) {
        await new Promise((r) => setTimeout(r, 100));
        midway = await run.handle.query(progressQuery);
      }
      assert.equal(midway.tasks.length, 500, 'the query answers for the whole plan mid-run');

      const result = await run.handle.result(); // follows the chain of runs
      assert.equal(result.status, 'completed');
      assert.equal(result.tasks.length, 500);
      assert.ok(result.tasks.every((t) => t.status === 'completed'));
      assert.equal(acts.calls.filter((c) => c.activity === 'architect').length, 500, 'no task ran twice');

      const first = await env.client.workflow.getHandle(run.handle.workflowId, firstRunId).describe();
      assert.equal(first.status.name, 'CONTINUED_AS_NEW');
      const last = await run.handle.describe();
      assert.notEqual(last.runId, firstRunId);
      const events =
        (await env.client.workflow.getHandle(run.handle.workflowId, firstRunId).fetchHistory()).events ?? [];
      assert.ok(events.length < 4000, `the first run stopped near the limit (${events.length} events)`);
    } finally {
      await run.stop();
    }
  },
);
