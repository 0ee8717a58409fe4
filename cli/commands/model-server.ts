import type { Command } from 'commander';
import { readModelSettings } from '../../core/config';
import { runsOwnModelServer } from '../../models/providers';
import { ownModelServer } from '../../runtime/model-server';
import { stderrReport } from '../../runtime/provision';
import { CliError } from '../exit-codes';

/**
 * `devcrew model-server`: the local model's llama.cpp server alone, for a host of its own in a team
 * topology; agent workers elsewhere reach it with DEVCREW_MODEL_BASE_URL=http://<host>:<port>/v1.
 */
export function registerModelServer(program: Command): void {
  program
    .command('model-server')
    .description("serve the local model (llama.cpp's server) alone, for agent workers on other hosts")
    .action(async () => {
      if (!runsOwnModelServer(readModelSettings()))
        throw new CliError(
          'devcrew model-server serves the local model; unset DEVCREW_MODEL_PROVIDER (or set it to local) and DEVCREW_MODEL_BASE_URL',
        );
      const server = (await ownModelServer(stderrReport))!;
      process.stdout.write(
        `model server at ${server.baseUrl} (metrics on http://${server.metricsAddress}/metrics); Ctrl-C stops it\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.stop();
    });
}
