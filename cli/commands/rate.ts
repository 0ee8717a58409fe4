import type { Command } from 'commander';
import { formatProblems, problemsFromZod, RatingRequest } from '../../contracts';
import { pathsFrom, readEnv } from '../../core/config';
import { DevcrewError } from '../../core/errors';
import { ratingsStore } from '../../server/ratings';
import { CliError, EXIT } from '../exit-codes';
import { connectRuns } from '../temporal-access';

/** `devcrew rate <run> <score> [-m comment]`: how good a run's result was, kept with who said so. */
export function registerRate(program: Command): void {
  program
    .command('rate')
    .description("rate a run's result from 1 (useless) to 5 (used as is); kept with your name")
    .argument('<run>')
    .argument('<score>', '1-5')
    .option('-m, --comment <text>', 'why')
    .action(async (run: string, score: string, o: { comment?: string }) => {
      const rating = RatingRequest.safeParse({
        score: Number(score),
        ...(o.comment ? { comment: o.comment } : {}),
      });
      if (!rating.success)
        throw new CliError(`the rating was refused:\n${formatProblems(problemsFromZod(rating.error))}`);
      const { runs, actor, close } = await connectRuns('rate');
      try {
        await runs.get(run);
      } catch (err) {
        if (err instanceof DevcrewError) throw new CliError(err.message, EXIT.invalid);
        throw err;
      } finally {
        await close();
      }
      const record = await ratingsStore(pathsFrom(readEnv()).stateDir).rate(run, rating.data, actor);
      process.stdout.write(`rated ${run} ${record.score}/5 as ${record.by}\n`);
    });
}
