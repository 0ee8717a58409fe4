import type { Actor, FeedbackRequest, RunRating } from '../contracts';
import { DevcrewError } from '../core/errors';
import type { RolloutService } from './rollout-service';
import type { RunsService } from './runs-service';

/**
 * A person's rating of a run, checked and recorded (`POST /v1/runs/{id}/feedback`, `devcrew rate`): the
 * run must exist (RUN_NOT_FOUND) and have ended (RUN_NOT_ENDED); the rollout keeps it, one per person
 * and run.
 */
export async function rateRun(
  deps: { runs: Pick<RunsService, 'get'>; rollout: Pick<RolloutService, 'rate'> },
  runId: string,
  feedback: FeedbackRequest,
  actor: Actor,
): Promise<RunRating> {
  // A person's credential rates as that person. The shared bootstrap credential and the keyboard of an
  // unconfigured devcrew name nobody, so they may say whose rating it is (`by`); the record keeps which.
  const by = actor.via === 'token' || actor.via === 'jwt' ? actor.name : (feedback.by ?? actor.name);
  const run = await deps.runs.get(runId);
  if (run.status === 'running' || run.status === 'awaiting_approval' || !run.mode) {
    throw new DevcrewError(
      'RUN_NOT_ENDED',
      `run ${run.run_id} is ${run.status}`,
      `rate it when it has ended (devcrew watch ${run.run_id})`,
    );
  }
  const rating: RunRating = {
    run_id: run.run_id,
    mode: run.mode,
    rating: feedback.rating,
    ...(feedback.comment ? { comment: feedback.comment } : {}),
    by,
    credential_id: actor.credential_id,
    at: new Date().toISOString(),
  };
  await deps.rollout.rate(rating);
  return rating;
}
