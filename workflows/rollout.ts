import {
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  metricMeter,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  TemporalFailure,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { RolloutActivities } from '../activities/types';
import type { AutoRollback, RolloutAuditEntry, RolloutState } from '../contracts';
import { zodErrorText } from '../contracts/problems';
import {
  initialRollout,
  RollbackRequest,
  RolloutChange,
  RolloutState as RolloutStateSchema,
  RunRating,
} from '../contracts/rollout';
import { TASK_QUEUES } from '../contracts/task-queues';
import { workflowFailure } from '../core/failure';
import type { z } from 'zod';
import { METRICS } from '../contracts/metrics';
import {
  alertsFiringSignal,
  changeRolloutUpdate,
  rateRunSignal,
  rollbackSignal,
  rollbackUpdate,
  rolloutQuery,
} from './definitions';
import {
  analyse,
  currentStage,
  movedTo,
  nextStage,
  restartPercent,
  snapshotOf,
  withAnalysis,
  withRating,
} from './ramp';

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
  // A state carried over from before the ramp's analysis gets its defaults (no analysis history, no ratings).
  let state = input.state
    ? RolloutStateSchema.parse(input.state)
    : initialRollout(new Date().toISOString(), input.auto_rollback);
  const queue = input.activity_queue ?? TASK_QUEUES.agents;
  const acts = proxyActivities<RolloutActivities>({
    taskQueue: queue,
    startToCloseTimeout: '1 minute',
    retry: { maximumAttempts: 3, initialInterval: '2 seconds' },
  });
  const publish = () => upsertMemo({ rollout: state });
  let changed = false;

  /** One analysis of the running stage; a change a person made while it read the figures wins. */
  async function analysis(): Promise<void> {
    if (!state.enabled || state.percent === 0) return;
    const seen = state.updated_at;
    const stage = currentStage(state, new Date().toISOString());
    let figures;
    try {
      figures = await acts.modeFigures({
        runs_queue: workflowInfo().taskQueue,
        window_hours: state.auto_rollback.window_hours,
        min_runs: state.analysis.min_runs,
        since: stage.started_at,
      });
    } catch (err) {
      if (isCancellation(err) || !(err instanceof TemporalFailure)) throw err;
      log.warn('ramp analysis could not read the figures; trying again at the next check', {
        error: (err.cause ?? err).message,
      });
      return;
    }
    if (state.updated_at !== seen) {
      log.info('ramp analysis dropped: the rollout changed while it read the figures', {});
      return;
    }
    const at = new Date().toISOString();
    const result = analyse(state, figures, at);
    const by = 'devcrew ramp';
    if (result.decision === 'promote') {
      const next = nextStage(state)!;
      const analysed = { ...state, stage_log: withAnalysis(state, result) };
      state = audited(
        state,
        { ...analysed, percent: next, stage_log: movedTo(analysed, next, 'promoted', at) },
        { action: 'promote', reason: result.reasons.join('; '), by, analysis: result },
      );
    } else if (result.decision === 'rollback') {
      const analysed = { ...state, stage_log: withAnalysis(state, result) };
      log.warn('the ramp rolls the crew back', { reasons: result.reasons });
      state = audited(
        state,
        {
          ...analysed,
          percent: 0,
          rolled_back: true,
          stage_log: movedTo(analysed, 0, 'rolled_back', at),
          snapshots: snapshotOf(state, result, figures, state.alerts_firing),
        },
        { action: 'auto-rollback', reason: result.reasons.join('; '), by, analysis: result },
      );
    } else {
      // A hold goes into the audit when what holds the stage changes, not at every check.
      const previous = stage.last_analysis;
      const same = previous?.decision === 'hold' && previous.criteria.join() === result.criteria.join();
      const analysed = { ...state, stage_log: withAnalysis(state, result) };
      state = same
        ? analysed
        : audited(state, analysed, {
            action: 'hold',
            reason: result.reasons.join('; '),
            by,
            analysis: result,
          });
    }
  }

  setHandler(rolloutQuery, () => state);
  setHandler(
    changeRolloutUpdate,
    (change) => {
      state = applyChange(state, RolloutChange.parse(change));
      changed = true;
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
  setHandler(rateRunSignal, (rating) => {
    const checked = RunRating.safeParse(rating);
    if (!checked.success) {
      log.warn('rating ignored: not a rating of 1-5 for a run', {});
      return;
    }
    state = withRating(state, checked.data);
    metricMeter
      .createHistogram(METRICS.ratings.created, 'int', METRICS.ratings.unit, METRICS.ratings.help)
      .record(checked.data.rating, { mode: checked.data.mode });
    publish();
  });
  setHandler(alertsFiringSignal, (names) => {
    if (!Array.isArray(names)) return;
    state = { ...state, alerts_firing: names.filter((n) => typeof n === 'string').slice(0, 50) };
    publish();
  });
  publish();

  let lastAuto = Date.now();
  let lastAnalysis = Date.now();
  for (;;) {
    const ramp = patched(RAMP_ANALYSIS);
    const autoMs = state.auto_rollback.check_interval_seconds * 1000;
    const analysisMs = state.analysis.check_seconds * 1000;
    if (ramp) {
      // A change wakes the loop, so new settings (a faster check, a new stage) apply at once.
      await condition(() => changed, state.analysis.enabled ? Math.min(autoMs, analysisMs) : autoMs);
      changed = false;
    } else await sleep(autoMs);
    if (!ramp || Date.now() - lastAuto >= autoMs) {
      lastAuto = Date.now();
      if (state.auto_rollback.enabled) state = await checkOrNote(state, acts);
    }
    if (ramp && state.analysis.enabled && Date.now() - lastAnalysis >= analysisMs) {
      lastAnalysis = Date.now();
      await analysis();
    }
    publish();
    if (workflowInfo().historyLength > 2_000 || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof rolloutWorkflow>({ state, activity_queue: queue });
    }
  }
}

/** The ramp's analysis at each stage (issue: the ramp moves itself). */
export const RAMP_ANALYSIS = 'ramp-analysis';

/** Checks that survive a failed read of the figures (issue: truthful ends). */
export const ROLLOUT_CHECK_SURVIVES = 'rollout-check-survives';

/**
 * A check whose figures cannot be read (visibility down past the activity's retries) must not end the
 * rollout: the ramp is long-lived state people rely on. The failure is noted in `last_check` and the
 * next timer tries again; the percent stays where it was.
 */
async function checkOrNote(state: RolloutState, acts: RolloutActivities): Promise<RolloutState> {
  try {
    return await check(state, acts);
  } catch (err) {
    if (isCancellation(err) || !(err instanceof TemporalFailure) || !patched(ROLLOUT_CHECK_SURVIVES))
      throw err;
    const error = (err.cause ?? err).message;
    log.warn('rollout check failed; trying again at the next check', { error });
    return {
      ...state,
      last_check: {
        at: new Date().toISOString(),
        crew_ended: state.last_check?.crew_ended ?? 0,
        crew_failure_rate: null,
        outcome: 'check_failed',
        error: error.slice(0, 1000),
      },
    };
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
    throw workflowFailure(
      'INVALID_REQUEST',
      `the rollout change was refused: ${zodErrorText(checked.error, { style: 'one line' })}`,
    );
  }
}

function audited(
  state: RolloutState,
  next: Omit<RolloutState, 'audit' | 'updated_at'>,
  entry: Pick<RolloutAuditEntry, 'action' | 'reason' | 'by' | 'analysis' | 'credential_id'>,
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
  const at = new Date().toISOString();
  const percent = restartPercent(state, change.percent, change.enabled === true);
  return audited(
    state,
    {
      ...state,
      enabled: change.enabled ?? state.enabled,
      percent,
      stages: change.stages ?? state.stages,
      auto_rollback: { ...state.auto_rollback, ...change.auto_rollback },
      analysis: { ...state.analysis, ...change.analysis },
      // A person who sets the percent or turns the rollout on takes it over from the rollback.
      rolled_back: percent === state.percent && change.enabled !== true ? state.rolled_back : false,
      // A new percent is a new stage: its figures, ratings and bake time start from now.
      stage_log: percent === state.percent ? state.stage_log : movedTo(state, percent, 'changed', at),
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
  return audited(
    state,
    {
      ...state,
      percent: 0,
      rolled_back: true,
      stage_log:
        state.percent === 0 ? state.stage_log : movedTo(state, 0, 'rolled_back', new Date().toISOString()),
    },
    { action, reason, by, credential_id },
  );
}
