import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  GateDecision,
  GateOutcome,
  RollbackRequest,
  RolloutChange,
  RolloutState,
  RunEvent,
  RunRating,
  RunProgress,
} from '../contracts';

/**
 * How people and programs talk to a running run. The HTTP server, the CLI and the tests import these
 * same definitions. The update and the signal carry the same decision: the update answers with the
 * outcome and refuses a bad decision up front; the signal lets `temporal workflow signal` and the Web UI
 * decide too (`--name decideGate --input '{"gate_id":"plan","decision":"approve","approver":"ana"}'`).
 */
export const decideGateUpdate = defineUpdate<GateOutcome, [GateDecision]>('decideGate');
export const decideGateSignal = defineSignal<[GateDecision]>('decideGate');
export const progressQuery = defineQuery<RunProgress>('progress');
/** The run's events after a `seq` (0 for all it keeps), for live views. */
export const eventsQuery = defineQuery<RunEvent[], [number]>('events');

/** The rollout's state (see `rolloutWorkflow`). */
export const rolloutQuery = defineQuery<RolloutState>('rollout');
/** Changes the rollout; the validator refuses a bad percent or a change without a reason, before history. */
export const changeRolloutUpdate = defineUpdate<RolloutState, [RolloutChange]>('changeRollout');
/** Every `auto` run to the single agent at once. */
export const rollbackUpdate = defineUpdate<RolloutState, [RollbackRequest]>('rollback');
/** The same rollback as a signal: recorded even while no worker runs, applied when one returns. */
export const rollbackSignal = defineSignal<[RollbackRequest]>('rollback');
/**
 * A person's rating of an ended run, kept by the rollout for its analysis. A signal: the server records
 * it even while no worker runs, so a rating given with the workers down is not lost.
 */
export const rateRunSignal = defineSignal<[RunRating]>('rateRun');
/** The alerts firing now, as the API's Alertmanager webhook last heard them. */
export const alertsFiringSignal = defineSignal<[string[]]>('alertsFiring');
