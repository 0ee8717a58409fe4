import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { GateDecision, GateOutcome, RunProgress } from '../contracts';

/**
 * How people and programs talk to a running run. The HTTP server, the CLI and the tests import these
 * same definitions. The update and the signal carry the same decision: the update answers with the
 * outcome and refuses a bad decision up front; the signal lets `temporal workflow signal` and the Web UI
 * decide too (`--name decideGate --input '{"gate_id":"plan","decision":"approve","approver":"ana"}'`).
 */
export const decideGateUpdate = defineUpdate<GateOutcome, [GateDecision]>('decideGate');
export const decideGateSignal = defineSignal<[GateDecision]>('decideGate');
export const progressQuery = defineQuery<RunProgress>('progress');
