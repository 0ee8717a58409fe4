import type {
  Actor,
  GateDecisionRequest,
  GateOutcome,
  GateRecorded,
  ProviderWait,
  RunEvent,
  RunMode,
  RunSummary,
  RunView,
  StartRunRequest,
} from '../contracts';
import type { RunArtifacts } from '../artifacts';

/**
 * What the HTTP API and the CLI need from the run machinery; `server/temporal-runs.ts` implements it over
 * Temporal. Failures are DevcrewErrors (RUN_NOT_FOUND, GATE_NOT_FOUND, GATE_NOT_PENDING, ...).
 */
export interface RunsService {
  /**
   * Starts a run in the mode asked for, or the rollout's for `auto`, recording who asked (`by`; absent
   * only for devcrew's own callers such as the evaluation harness).
   */
  start(body: StartRunRequest, by?: Actor): Promise<{ run_id: string; mode: RunMode }>;
  list(filter: { status?: string; mode?: RunMode; limit: number }): Promise<RunSummary[]>;
  /** The progress query's answer and, once finished, the result. */
  get(runId: string): Promise<RunView>;
  /**
   * The gate's outcome, or, while no worker can apply it, the decision recorded for when one returns.
   * With `by` the decision is that caller's, whatever `decision.approver` says; SELF_APPROVAL when the
   * run's gate policy forbids its requester to approve.
   */
  decide(
    runId: string,
    gateId: string,
    decision: GateDecisionRequest,
    by?: Actor,
  ): Promise<GateOutcome | GateRecorded>;
  /** Cancels a run; a requester may cancel only their own (FORBIDDEN). The caller is kept in the history. */
  cancel(runId: string, by?: Actor): Promise<void>;
  /**
   * The run's events after `after` (a `seq`), as they happen, ending with `run_finished`; the same
   * stream whether the run is live or long ended.
   */
  events(
    runId: string,
    options: {
      after: number;
      signal?: AbortSignal;
      /** Told when the run starts or stops waiting out model-provider errors (not an event: it has no seq). */
      onWait?: (wait: ProviderWait | null) => void;
    },
  ): AsyncIterable<RunEvent>;
  artifacts(runId: string): Promise<RunArtifacts | { run_id: string; integration: null; tasks: [] }>;
}
