import os from 'node:os';
import { type NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { zeroRunSeries } from '../core/metrics';
import type { AgentActivities, RolloutActivities, SandboxActivities } from '../activities/types';
import { taskQueues, type TaskQueues } from '../contracts';

/**
 * The kinds of worker, by the resources they need: `runs` hosts the workflows (decisions only),
 * `agents` the model-bound activities (scale with API quotas), `sandbox` the Docker-bound ones (scale
 * with Docker hosts). One process may host all three; a Docker host may run only `sandbox`.
 */
export const WORKER_KINDS = ['runs', 'agents', 'sandbox'] as const;
export type WorkerKind = (typeof WORKER_KINDS)[number];

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  kinds: readonly WorkerKind[];
  agents?: AgentActivities & RolloutActivities;
  sandbox?: SandboxActivities;
  /** How many sandbox jobs one worker runs at once (the Docker host's share). */
  sandboxConcurrency?: number;
  /** How many model calls one worker makes at once. */
  agentConcurrency?: number;
  /** On shutdown, how long running activities may take to finish before they are cancelled (and retried elsewhere). */
  shutdownGraceTime?: string;
  /** Task queue names (contracts/task-queues.ts), overridable so deployments can share a namespace. */
  taskQueues?: TaskQueues;
}

export interface RunningWorkers {
  workers: { kind: WorkerKind; taskQueue: string; worker: Worker }[];
  /** Resolves when every worker has stopped. */
  done: Promise<void>;
  /** Stops polling, lets running activities finish within the grace time, then resolves. */
  shutdown(): Promise<void>;
}

export async function startWorkers(options: WorkerOptions): Promise<RunningWorkers> {
  const queues = options.taskQueues ?? taskQueues();
  const grace = (options.shutdownGraceTime ?? '30s') as `${number}s`;
  const created: RunningWorkers['workers'] = [];
  const specs = {
    runs: () => ({
      workflowsPath: require.resolve('../workflows'),
      // A run's next decision goes back to the shared queue 3 s after its worker stops answering (the
      // default is 10 s): a crashed worker's runs move on quickly.
      stickyQueueScheduleToStartTimeout: '3s' as const,
      // Decisions beyond what the cores can take wait on the server, where no timeout runs, instead of
      // queueing in the worker past their 10 s task timeout (200 runs at once on 2 cores, bench/).
      maxConcurrentWorkflowTaskExecutions: Math.max(4, 4 * os.cpus().length),
    }),
    agents: () => ({
      activities: required(options.agents, 'agents'),
      maxConcurrentActivityTaskExecutions: options.agentConcurrency ?? 8,
    }),
    sandbox: () => ({
      activities: required(options.sandbox, 'sandbox'),
      maxConcurrentActivityTaskExecutions: options.sandboxConcurrency ?? 2,
    }),
  } satisfies Record<WorkerKind, () => object>;
  for (const kind of options.kinds) {
    const taskQueue = queues[kind];
    const worker = await Worker.create({
      connection: options.connection,
      namespace: options.namespace,
      shutdownGraceTime: grace,
      taskQueue,
      ...specs[kind](),
    });
    created.push({ kind, taskQueue, worker });
    if (kind === 'runs')
      zeroRunSeries(Runtime.instance().metricMeter, { namespace: options.namespace, taskQueue });
  }
  const done = Promise.all(created.map((c) => c.worker.run())).then(() => undefined);
  return {
    workers: created,
    done,
    async shutdown() {
      for (const { worker } of created) {
        if (worker.getState() === 'RUNNING') worker.shutdown();
      }
      await done;
    },
  };
}

function required<T>(value: T | undefined, kind: WorkerKind): T {
  if (!value) throw new Error(`a ${kind} worker needs the ${kind} activities`);
  return value;
}
