import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { AgentActivities, SandboxActivities } from '../../activities/types';
import type { RunInput, TodoList } from '../../contracts';
import { developWorkflow } from '../../workflows';
import { uniqueTaskQueue } from '../support/env';
import { todoList } from '../support/todo-lists';

/** Workers for one test: the run workflow and both activity queues, all on queues of its own. */
export async function startRun(
  env: TestWorkflowEnvironment,
  acts: { agents: AgentActivities; sandbox: SandboxActivities },
  input: Omit<RunInput, 'run_id' | 'options' | 'task_queues'> & { options?: RunInput['options'] },
) {
  const queue = uniqueTaskQueue('run');
  const task_queues = { agents: `${queue}-agents`, sandbox: `${queue}-sandbox` };
  const workers = await Promise.all([
    Worker.create({
      connection: env.nativeConnection,
      taskQueue: queue,
      workflowsPath: require.resolve('../../workflows'),
    }),
    Worker.create({
      connection: env.nativeConnection,
      taskQueue: task_queues.agents,
      activities: acts.agents,
    }),
    Worker.create({
      connection: env.nativeConnection,
      taskQueue: task_queues.sandbox,
      activities: acts.sandbox,
    }),
  ]);
  const running = workers.map((w) => w.run());
  const run_id = `test-run-${randomUUID().slice(0, 8)}`;
  const handle = await env.client.workflow.start(developWorkflow, {
    taskQueue: queue,
    workflowId: run_id,
    args: [{ run_id, options: {}, task_queues, ...input }],
  });
  return {
    handle,
    async stop() {
      workers.forEach((w) => w.shutdown());
      await Promise.allSettled(running);
    },
  };
}

/**
 * Workers for many runs at once (benchmarks): the run workflow and both activity queues started once;
 * `start` starts a run on them.
 */
export async function startFleet(
  env: TestWorkflowEnvironment,
  acts: { agents: AgentActivities; sandbox: SandboxActivities },
) {
  const queue = uniqueTaskQueue('fleet');
  const task_queues = { agents: `${queue}-agents`, sandbox: `${queue}-sandbox` };
  const workers = await Promise.all([
    Worker.create({
      connection: env.nativeConnection,
      taskQueue: queue,
      workflowsPath: require.resolve('../../workflows'),
      maxCachedWorkflows: 1000,
      // Decisions wait on the server rather than in the worker, where they would time out under load.
      maxConcurrentWorkflowTaskExecutions: 8,
      // The dev server caps concurrent polls per namespace; a few pollers keep many runs busy.
      workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: 8 },
    }),
    Worker.create({
      connection: env.nativeConnection,
      taskQueue: task_queues.agents,
      activities: acts.agents,
      maxConcurrentActivityTaskExecutions: 200,
      activityTaskPollerBehavior: { type: 'simple-maximum', maximum: 8 },
    }),
    Worker.create({
      connection: env.nativeConnection,
      taskQueue: task_queues.sandbox,
      activities: acts.sandbox,
    }),
  ]);
  const running = workers.map((w) => w.run());
  return {
    start(input: Omit<RunInput, 'run_id' | 'options' | 'task_queues'> & { options?: RunInput['options'] }) {
      const run_id = `bench-${randomUUID().slice(0, 8)}`;
      return env.client.workflow.start(developWorkflow, {
        taskQueue: queue,
        workflowId: run_id,
        args: [{ run_id, options: {}, task_queues, ...input }],
      });
    },
    async stop() {
      workers.forEach((w) => w.shutdown());
      await Promise.allSettled(running);
    },
  };
}

/** a → (b, c) → d */
export function diamond(extra: Record<string, unknown> = {}): TodoList {
  return todoList([
    { id: 'a', agent_role: 'architect', ...extra },
    { id: 'b', dependencies: ['a'], ...extra },
    { id: 'c', dependencies: ['a'], ...extra },
    { id: 'd', dependencies: ['b', 'c'], agent_role: 'tester', ...extra },
  ]) as unknown as TodoList;
}

/**
 * With DEVCREW_SAVE_HISTORIES=1, keeps the history of a finished run in test/histories/, where the replay
 * test checks that today's workflow code still makes the same decisions.
 */
export async function saveHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.DEVCREW_SAVE_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  await fs.writeFile(path.join(__dirname, '../histories', `${name}.json`), JSON.stringify(history, null, 1));
}
