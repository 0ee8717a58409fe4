import type { GateDecisionRequest, StartRunRequest } from '../contracts';

/** A run that does not exist (404). */
export class RunNotFound extends Error {
  override name = 'RunNotFound';
}
/** A gate that the run never had (404). */
export class GateNotFound extends Error {
  override name = 'GateNotFound';
}
/** A gate that exists but is no longer waiting (409). */
export class GateNotPending extends Error {
  override name = 'GateNotPending';
}

/** What the HTTP API needs from the run machinery; `server/temporal-runs.ts` implements it over Temporal. */
export interface RunsService {
  start(body: StartRunRequest): Promise<{ run_id: string }>;
  list(filter: { status?: string; limit: number }): Promise<unknown[]>;
  /** The progress query's answer and, once finished, the result. */
  get(runId: string): Promise<unknown>;
  decide(runId: string, gateId: string, decision: GateDecisionRequest): Promise<unknown>;
  cancel(runId: string): Promise<void>;
  artifacts(runId: string): Promise<unknown>;
}
