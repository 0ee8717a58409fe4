import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { RolloutActivities } from '../../activities/types';
import type { ModeFigures, RolloutState, RunMode } from '../../contracts';
import { rolloutQuery } from '../../workflows/definitions';
import { rolloutWorkflow } from '../../workflows/rollout';
import { until } from '../support/api';
import { testEnvironment, uniqueTaskQueue } from '../support/env';

let env: TestWorkflowEnvironment;
before(async () => (env = await testEnvironment()));
after(async () => env?.teardown());

const figures = (mode: RunMode, completed: number, failed: number): ModeFigures => ({
  mode,
  security_incidents: 0,
  crashes: 0,
  failed_runs: [],
  ended: completed + failed,
  completed,
  failed,
  stopped: 0,
  in_flight: 0,
  success_rate: completed / (completed + failed),
  failure_rate: failed / (completed + failed),
  median_duration_s: 10,
  p90_duration_s: 12,
  mean_cost_usd: 0,
  mean_fix_iterations: 0,
  window: { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date().toISOString() },
});

test(
  'a rollout check whose figures cannot be read keeps the rollout alive, says why, and the next check acts',
  { timeout: 120_000 },
  async () => {
    const queue = uniqueTaskQueue('rollout-check');
    let calls = 0;
    let readable = false;
    const activities: RolloutActivities = {
      async modeFigures() {
        calls++;
        if (!readable) throw new Error('visibility store unavailable: connection refused');
        return { crew: figures('crew', 2, 8), 'single-agent': figures('single-agent', 9, 1) };
      },
    };
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: queue,
      workflowsPath: require.resolve('../../workflows'),
      activities,
    });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(rolloutWorkflow, {
        taskQueue: queue,
        workflowId: `${queue}-rollout`,
        args: [
          {
            activity_queue: queue,
            auto_rollback: {
              enabled: true,
              failure_rate_threshold: 0.2,
              min_runs: 5,
              window_hours: 24,
              check_interval_seconds: 1,
            },
          },
        ],
      });
      const failedCheck = await until('a failed check', async () => {
        const s: RolloutState = await handle.query(rolloutQuery);
        return s.last_check?.outcome === 'check_failed' ? s : undefined;
      });
      assert.match(failedCheck.last_check!.error ?? '', /visibility store unavailable/);
      assert.equal(failedCheck.percent, 100, 'the percent stays where it was');
      assert.ok(calls >= 3, `the activity was retried before the check gave up (${calls} calls)`);
      const described = await handle.describe();
      assert.equal(described.status.name, 'RUNNING', 'the rollout is still running');

      readable = true;
      const rolledBack = await until('the next check to roll back', async () => {
        const s: RolloutState = await handle.query(rolloutQuery);
        return s.last_check?.outcome === 'rolled_back' ? s : undefined;
      });
      assert.equal(rolledBack.percent, 0);
      assert.equal(rolledBack.audit[0]?.action, 'auto-rollback');
      await handle.terminate('test over');
    });
  },
);
