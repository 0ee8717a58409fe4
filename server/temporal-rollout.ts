import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { modeFigures } from '../activities/rollout';
import {
  DEFAULT_AUTO_ROLLBACK,
  initialRollout,
  RolloutState,
  type AutoRollback,
  type RollbackRequest,
  type RolloutChange,
  type RunRating,
  type TaskQueues,
} from '../contracts';
import { DevcrewError } from '../core/errors';
import {
  alertsFiringSignal,
  changeRolloutUpdate,
  rateRunSignal,
  rollbackSignal,
} from '../workflows/definitions';
import type { rolloutWorkflow } from '../workflows/rollout';
import type { RolloutService } from './rollout-service';

/** The rollout's workflow id: one per deployment (its queue prefix), fixed, so every client finds it. */
export const rolloutWorkflowId = (prefix = '') => `${prefix}devcrew-rollout`;

/** How long a change waits for a worker to apply it. */
const UPDATE_WAIT_MS = 15_000;

/** The rollout over its entity workflow (workflows/rollout.ts). */
export function temporalRollout(deps: {
  client: Client;
  queues: TaskQueues;
  /** The deployment's prefix (the same as its queues'). */
  prefix?: string;
  /** Settings of a rollout created now (an existing one keeps its own). */
  autoRollback?: AutoRollback;
}): RolloutService & { ensure(): Promise<void> } {
  const { client, queues } = deps;
  const id = rolloutWorkflowId(deps.prefix);
  const handle = () => client.workflow.getHandle<typeof rolloutWorkflow>(id);

  /** Starts the rollout workflow unless it runs; a closed one's last state carries on. */
  async function ensure(): Promise<RolloutState> {
    let previous: RolloutState | undefined;
    try {
      const d = await handle().describe();
      const state = RolloutState.safeParse(d.memo?.rollout);
      if (d.status.name === 'RUNNING' && state.success) return state.data;
      if (state.success) previous = state.data;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    const state =
      previous ?? initialRollout(new Date().toISOString(), deps.autoRollback ?? DEFAULT_AUTO_ROLLBACK);
    await client.workflow.start<typeof rolloutWorkflow>('rolloutWorkflow', {
      workflowId: id,
      taskQueue: queues.runs,
      args: [{ state, activity_queue: queues.agents }],
      memo: { rollout: state },
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    return state;
  }

  async function state(): Promise<RolloutState> {
    const d = await handle()
      .describe()
      .catch(() => undefined);
    const parsed = RolloutState.safeParse(d?.memo?.rollout);
    return parsed.success && d?.status.name === 'RUNNING' ? parsed.data : ensure();
  }

  return {
    ensure: async () => void (await ensure()),
    state,

    async view() {
      const current = await state();
      const figures = await modeFigures(client, {
        runs_queue: queues.runs,
        window_hours: current.auto_rollback.window_hours,
        min_runs: current.auto_rollback.min_runs,
      });
      return { state: current, figures };
    },

    async change(change: RolloutChange) {
      await ensure();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new DevcrewError(
                'WORKERS_UNAVAILABLE',
                `no runs worker applied the rollout change within ${UPDATE_WAIT_MS / 1000} s`,
                'start devcrew (devcrew up, or devcrew worker --kind runs) and try again; nothing changed',
              ),
            ),
          UPDATE_WAIT_MS,
        );
      });
      try {
        return await Promise.race([handle().executeUpdate(changeRolloutUpdate, { args: [change] }), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },

    async rollback(request: RollbackRequest) {
      await ensure();
      // A signal is recorded by the server even when no worker runs: a rollback must never be lost.
      await handle().signal(rollbackSignal, request);
      const deadline = Date.now() + 5_000;
      for (;;) {
        const current = await state();
        const applied = current.percent === 0 && current.audit[0]?.reason === request.reason;
        if (applied || Date.now() > deadline) return { applied, state: current };
        await new Promise((r) => setTimeout(r, 200));
      }
    },

    async rate(rating: RunRating) {
      await ensure();
      await handle().signal(rateRunSignal, rating);
    },

    async noteAlerts(firing: string[]) {
      await ensure();
      await handle().signal(alertsFiringSignal, firing);
    },
  };
}
