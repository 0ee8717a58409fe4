import type {
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
  /** Starts a run in the mode asked for, or the rollout's for `auto`. */
  start(body: StartRunRequest): Promise<{ run_id: string; mode: RunMode }>;
  list(filter: { status?: string; mode?: RunMode; limit: number }): Promise<RunSummary[]>;
  /** The progress query's answer and, once finished, the result. */
  get(runId: string): Promise<RunView>;
  /** The gate's outcome, or, while no worker can apply it, the decision recorded for when one returns. */
  decide(runId: string, gateId: string, decision: GateDecisionRequest): Promise<GateOutcome | GateRecorded>;
  cancel(runId: string): Promise<void>;
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
