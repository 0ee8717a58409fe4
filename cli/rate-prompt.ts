import readline from 'node:readline/promises';
import type { Actor, RunView } from '../contracts';
import { localActor } from '../server/auth';
import { readEnv } from '../core/config';
import { FeedbackRequest } from '../contracts';
import { rateRun } from '../server/feedback';
import type { RolloutService } from '../server/rollout-service';
import type { RunsService } from '../server/runs-service';

/**
 * At the end of `devcrew run` / `devcrew up "<request>"` in a terminal: "rate this run 1-5?". Enter
 * skips; nothing is asked when stdin or stdout is not a terminal (scripts, CI) or with
 * DEVCREW_RATING_PROMPT=off.
 */
export async function offerRating(o: {
  runs: Pick<RunsService, 'get'>;
  rollout: Pick<RolloutService, 'rate'>;
  run: RunView;
  write: (line: string) => void;
  /** Who rates: the command's caller (default: the person at the keyboard). */
  actor?: Actor;
}): Promise<void> {
  if (!process.stdin.isTTY || !process.stdout.isTTY || readEnv().DEVCREW_RATING_PROMPT === 'off') return;
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    for (;;) {
      const answer = (
        await rl.question(
          '  rate this run 1 (bad) to 5 (great), a comment after it if you like [Enter skips]: ',
        )
      ).trim();
      if (answer === '') return;
      const [value, ...rest] = answer.split(/\s+/);
      const actor = o.actor ?? localActor();
      // With the shared bootstrap credential the terminal's user is the best name there is.
      const named = actor.via === 'bootstrap' && process.env.USER ? { by: process.env.USER } : {};
      const feedback = FeedbackRequest.safeParse({
        rating: Number(value),
        ...(rest.length ? { comment: rest.join(' ') } : {}),
        ...named,
      });
      if (!feedback.success) {
        o.write('  a rating is a whole number from 1 to 5, e.g. "4 good tests"');
        continue;
      }
      const rating = await rateRun(o, o.run.run_id, feedback.data, actor);
      o.write(`  rated ${rating.rating}/5: thank you (devcrew rollout status shows the ratings)`);
      return;
    }
  } catch (err) {
    o.write(`  the rating was not kept: ${(err as Error).message}`);
  } finally {
    rl.close();
  }
}
