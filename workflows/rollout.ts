import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  sleep,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { RolloutActivities } from '../activities/types';
import type { AutoRollback, RolloutAuditEntry, RolloutState } from '../contracts';
import { initialRollout, RollbackRequest, RolloutChange } from '../contracts/rollout';
import { TASK_QUEUES } from '../contracts/task-queues';
import type { z } from 'zod';
import { changeRolloutUpdate, rollbackSignal, rollbackUpdate, rolloutQuery } from './definitions';

export interface RolloutInput {
  /** Carried over by continue-as-new; a new rollout starts from `initialRollout`. */
  state?: RolloutState;
  /** Auto-rollback settings of a new rollout (the environment's, read by whoever starts it). */
  auto_rollback?: AutoRollback;
  /** The queue of the figures activity (the deployment's agents queue). */
  activity_queue?: string;
}

/** How many audit entries the state carries; the workflow's history (and its predecessors') holds all. */
const AUDIT_KEPT = 50;

/**
 * The rollout, as one long-lived entity workflow with a fixed id per deployment (`devcrew-rollout`):
 * whether `auto` runs may go to the crew, what share of them does, the ramp's stages, and who changed
 * what and why (its history is the audit log). Changed by Update (validated before anything is
 * written), read by Query and by its memo (readable with no worker up). On a timer it reads the crew's
 * figures from visibility and rolls back to 0% by itself when the crew fails too often; runs already in
 * flight keep their mode.
 */
export async function rolloutWorkflow(input: RolloutInput): Promise<void> {
  let state = input.state ?? initialRollout(new Date().toISOString(), input.auto_rollback);
  const queue = input.activity_queue ?? TASK_QUEUES.agents;
  const acts = proxyActivities<RolloutActivities>({
    taskQueue: queue,
    startToCloseTimeout: '1 minute',
    retry: { maximumAttempts: 3, initialInterval: '2 seconds' },
  });
  const publish = () => upsertMemo({ rollout: state });

  setHandler(rolloutQuery, () => state);
  setHandler(
    changeRolloutUpdate,
    (change) => {
      state = applyChange(state, RolloutChange.parse(change));
      publish();
      return state;
    },
    { validator: (change) => void valid(RolloutChange, change) },
  );
  setHandler(
    rollbackUpdate,
    (request) => {
      state = rollBack(state, 'rollback', request.reason, request.by ?? 'unknown', request.credential_id);
      publish();
      return state;
    },
    { validator: (request) => void valid(RollbackRequest, request) },
  );
  setHandler(rollbackSignal, (request) => {
    const checked = RollbackRequest.safeParse(request);
    if (!checked.success) {
      log.warn('rollback signal ignored: it needs a reason', {});
      return;
    }
    state = rollBack(
      state,
      'rollback',
      checked.data.reason,
      checked.data.by ?? 'unknown',
      checked.data.credential_id,
    );
    publish();
  });
  publish();

  for (;;) {
    await sleep(state.auto_rollback.check_interval_seconds * 1000);
    if (state.auto_rollback.enabled) state = await check(state, acts);
    publish();
    if (workflowInfo().historyLength > 2_000 || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof rolloutWorkflow>({ state, activity_queue: queue });
    }
  }
}

/** One look at the crew's figures; over the threshold with enough runs, percent goes to 0. */
async function check(state: RolloutState, acts: RolloutActivities): Promise<RolloutState> {
  const at = new Date().toISOString();
  const auto = state.auto_rollback;
  if (!state.enabled || state.percent === 0) {
    return { ...state, last_check: { at, crew_ended: 0, crew_failure_rate: null, outcome: 'already_off' } };
  }
  const { crew } = await acts.modeFigures({
    runs_queue: workflowInfo().taskQueue,
    window_hours: auto.window_hours,
    min_runs: auto.min_runs,
  });
  const judged = crew.completed + crew.failed;
  const rate = crew.failure_rate;
  const last = { at, crew_ended: crew.ended, crew_failure_rate: rate };
  if (judged < auto.min_runs || rate === null)
    return { ...state, last_check: { ...last, outcome: 'too_few_runs' } };
  if (rate <= auto.failure_rate_threshold) return { ...state, last_check: { ...last, outcome: 'healthy' } };
  const reason =
    `crew failure rate ${(rate * 100).toFixed(0)}% (${crew.failed} of ${judged} runs that ended since ` +
    `${crew.window.from}) is above ${(auto.failure_rate_threshold * 100).toFixed(0)}%`;
  log.warn('rolling back the crew', { reason });
  return {
    ...rollBack(state, 'auto-rollback', reason, 'devcrew auto-rollback'),
    last_check: { ...last, outcome: 'rolled_back' },
  };
}

/** The Update's validator: a refused change never reaches the history. */
function valid(schema: z.ZodType, value: unknown): void {
  const checked = schema.safeParse(value);
  if (!checked.success) {
    const problems = checked.error.issues.map(
      (i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`,
    );
    throw ApplicationFailure.nonRetryable(
      `the rollout change was refused: ${problems.join('; ')}`,
      'INVALID_REQUEST',
    );
  }
}

function audited(
  state: RolloutState,
  next: Omit<RolloutState, 'audit' | 'updated_at'>,
  entry: Pick<RolloutAuditEntry, 'action' | 'reason' | 'by' | 'credential_id'>,
): RolloutState {
  const at = new Date().toISOString();
  const { credential_id, ...rest } = entry;
  const record: RolloutAuditEntry = {
    at,
    ...rest,
    // Only when known, so entries from before identities read as they always did.
    ...(credential_id ? { credential_id } : {}),
    from: { enabled: state.enabled, percent: state.percent },
    to: { enabled: next.enabled, percent: next.percent },
  };
  return { ...next, updated_at: at, audit: [record, ...state.audit].slice(0, AUDIT_KEPT) };
}

function applyChange(state: RolloutState, change: RolloutChange): RolloutState {
  return audited(
    state,
    {
      ...state,
      enabled: change.enabled ?? state.enabled,
      percent: change.percent ?? state.percent,
      stages: change.stages ?? state.stages,
      auto_rollback: { ...state.auto_rollback, ...change.auto_rollback },
    },
    { action: 'set', reason: change.reason, by: change.by ?? 'unknown', credential_id: change.credential_id },
  );
}

function rollBack(
  state: RolloutState,
  action: 'rollback' | 'auto-rollback',
  reason: string,
  by: string,
  credential_id?: string,
): RolloutState {
  return audited(state, { ...state, percent: 0 }, { action, reason, by, credential_id });
}
