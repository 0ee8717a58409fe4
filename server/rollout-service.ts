import type { RollbackRequest, RolloutChange, RolloutState, RolloutView, RunRating } from '../contracts';

/** What the HTTP API and the CLI need from the rollout; `server/temporal-rollout.ts` implements it. */
export interface RolloutService {
  /** The current state, readable with no worker up (the rollout workflow's memo). */
  state(): Promise<RolloutState>;
  /** The state and both modes' figures from visibility. */
  view(): Promise<RolloutView>;
  /** Applies a change (validated by the workflow before it is written); WORKERS_UNAVAILABLE when no worker answers. */
  change(change: RolloutChange): Promise<RolloutState>;
  /** Rolls back to 0% at once: applied now when a worker runs, else recorded and applied when one returns. */
  rollback(request: RollbackRequest): Promise<{ applied: boolean; state: RolloutState }>;
  /** Records a person's rating (a signal: kept by the server even while no worker runs). */
  rate(rating: RunRating): Promise<void>;
  /** Tells the rollout which alerts fire now (for a rollback's snapshot). */
  noteAlerts(firing: string[]): Promise<void>;
}
