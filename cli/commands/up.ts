import type { Command } from 'commander';
import { CliError, EXIT } from '../exit-codes';

/** `devcrew up`: the main job. Not built yet; it says so rather than pretend. */
export function registerUp(program: Command): void {
  program
    .command('up')
    .description(
      'the main job: embedded Temporal, workers and API running a request end to end (not built yet)',
    )
    .action(() => {
      throw new CliError(
        'the main job is not built yet: the workflows, agents and sandbox are still being written (see the open issues).\n' +
          '  What works today: devcrew setup | server | validate | schema | artifacts',
        EXIT.invalid,
      );
    });
}
