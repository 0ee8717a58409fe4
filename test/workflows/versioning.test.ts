import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { versioningActivities } from '../fixtures/versioning/activities';
import { testEnvironment, uniqueTaskQueue } from '../support/env';

/**
 * How a workflow change ships safely (README, "Changing a workflow safely"), shown once for real: a run
 * started on the old code and paused at its gate completes on the new code, and a history written by
 * the old code still replays on the new one.
 */
let env: TestWorkflowEnvironment;
before(async () => {
  env = await testEnvironment();
});
after(async () => env?.teardown());

const worker = (version: 'v1' | 'v2', taskQueue: string) =>
  Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve(`../fixtures/versioning/${version}`),
    activities: versioningActivities,
  });

test(
  'a run paused at its gate on the old code completes on the new code; old histories still replay',
  { timeout: 120_000 },
  async () => {
    const taskQueue = uniqueTaskQueue('versioning');
    // A run of version 1 that ends on version 1: its history is the "old" one the new code must replay.
    const oldFinished = `release-old-${taskQueue}`;
    const paused = `release-paused-${taskQueue}`;
    const v1 = await worker('v1', taskQueue);
    await v1.runUntil(async () => {
      const h = await env.client.workflow.start('releaseWorkflow', { taskQueue, workflowId: oldFinished });
      await h.signal('approve');
      assert.deepEqual(await h.result(), ['waiting at the gate', 'published (v1 code)']);
      const p = await env.client.workflow.start('releaseWorkflow', { taskQueue, workflowId: paused });
      for (let i = 0; (await p.query<string[]>('steps')).length === 0 && i < 100; i++)
        await new Promise((r) => setTimeout(r, 50));
    });

    // Version 2 ships; the paused run is picked up by it and goes on from its gate.
    const v2 = await worker('v2', taskQueue);
    const steps = await v2.runUntil(async () => {
      const p = env.client.workflow.getHandle(paused);
      await p.signal('approve');
      return p.result();
    });
    assert.deepEqual(steps, ['waiting at the gate', 'reviewed (v2 code)', 'published (v2 code)']);

    await Worker.runReplayHistory(
      { workflowsPath: require.resolve('../fixtures/versioning/v2') },
      await env.client.workflow.getHandle(oldFinished).fetchHistory(),
    );

    // Without the patch, the same change breaks the old history: the replay check is what catches it.
    await assert.rejects(
      Worker.runReplayHistory(
        { workflowsPath: require.resolve('../fixtures/versioning/v2-unpatched') },
        await env.client.workflow.getHandle(oldFinished).fetchHistory(),
      ),
      /Nondeterminism|TMPRL1100/,
    );
  },
);
