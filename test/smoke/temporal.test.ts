import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createEchoActivities } from '../fixtures/echo-activities';
import { echoWorkflow } from '../fixtures/echo-workflow';
import { testEnvironment, uniqueTaskQueue } from '../support/env';

let env: TestWorkflowEnvironment;
before(async () => (env = await testEnvironment()));
after(async () => env?.teardown());

test('a workflow calls an activity on the real Temporal dev server and records it in history', async () => {
  const taskQueue = uniqueTaskQueue('smoke');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../fixtures/echo-workflow'),
    activities: createEchoActivities(),
  });
  const workflowId = `smoke-${taskQueue}`;
  const result = await worker.runUntil(
    env.client.workflow.execute(echoWorkflow, { taskQueue, workflowId, args: [{ text: 'hello crew' }] }),
  );
  assert.deepEqual(result, { text: 'HELLO CREW', workerPid: process.pid });

  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const types = (history.events ?? []).map((e) => e.eventType);
  assert.ok(types.length >= 8, `expected a real server history, got ${types.length} events`);
  const description = await env.client.workflow.getHandle(workflowId).describe();
  assert.equal(description.status.name, 'COMPLETED');
});
