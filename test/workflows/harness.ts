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

type RunStart = Omit<RunInput, 'run_id' | 'options' | 'task_queues'> & { options?: RunInput['options'] };

/** Workers for one test: the run workflow and both activity queues, all on queues of its own. */
export async function startRun(
  env: TestWorkflowEnvironment,
  acts: { agents: AgentActivities; sandbox: SandboxActivities },
  input: RunStart,
) {
  const fleet = await startFleet(env, acts, { forMany: false });
  return { handle: await fleet.start(input, 'test-run'), stop: fleet.stop };
}

/**
 * Workers for many runs at once (benchmarks): the run workflow and both activity queues started once;
 * `start` starts a run on them. `forMany` (the default) tunes them for hundreds of runs in flight.
 */
export async function startFleet(
  env: TestWorkflowEnvironment,
  acts: { agents: AgentActivities; sandbox: SandboxActivities },
  { forMany = true }: { forMany?: boolean } = {},
) {
  const queue = uniqueTaskQueue(forMany ? 'fleet' : 'run');
  const task_queues = { agents: `${queue}-agents`, sandbox: `${queue}-sandbox` };
  const workers = await Promise.all([
    Worker.create({
      connection: env.nativeConnection,
      taskQueue: queue,
      workflowsPath: require.resolve('../../workflows'),
      ...(forMany
        ? {
            maxCachedWorkflows: 1000,
            // Decisions wait on the server rather than in the worker, where they would time out under load.
            maxConcurrentWorkflowTaskExecutions: 8,
            // The dev server caps concurrent polls per namespace; a few pollers keep many runs busy.
            workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: 8 } as const,
          }
        : {}),
    }),
    Worker.create({
      connection: env.nativeConnection,
      taskQueue: task_queues.agents,
      activities: acts.agents,
      ...(forMany
        ? {
            maxConcurrentActivityTaskExecutions: 200,
            activityTaskPollerBehavior: { type: 'simple-maximum', maximum: 8 } as const,
          }
        : {}),
    }),
    Worker.create({
      connection: env.nativeConnection,
      taskQueue: task_queues.sandbox,
      activities: acts.sandbox,
    }),
  ]);
  const running = workers.map((w) => w.run());
  return {
    start(input: RunStart, idPrefix = 'bench') {
      const run_id = `${idPrefix}-${randomUUID().slice(0, 8)}`;
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
