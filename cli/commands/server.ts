import fs from 'node:fs/promises';
import type { Command } from 'commander';
import { pathsFrom, readEnv } from '../../core/config';
import { provision } from '../../runtime/provision';
import { startEmbeddedServer } from '../../runtime/temporal-server';
import { CliError } from '../exit-codes';

/** `devcrew server`: the embedded Temporal dev server, its history in SQLite under the state dir. */
export function registerServer(program: Command): void {
  program
    .command('server')
    .description('run the embedded Temporal dev server (SQLite in the state dir, Web UI) until Ctrl-C')
    .option('--headless', 'without the Web UI')
    .action(async (opts: { headless?: boolean }) => {
      const env = readEnv();
      if (env.TEMPORAL_ADDRESS) {
        throw new CliError(
          `TEMPORAL_ADDRESS=${env.TEMPORAL_ADDRESS} is set, so devcrew uses that server and starts none; unset it to run the embedded one`,
        );
      }
      const { stateDir } = pathsFrom(env);
      await fs.mkdir(stateDir, { recursive: true });
      const { temporalCli } = await provision({ temporal: true });
      const server = await startEmbeddedServer({
        cli: temporalCli!,
        stateDir,
        port: env.DEVCREW_TEMPORAL_PORT,
        uiPort: env.DEVCREW_UI_PORT,
        metricsPort: env.DEVCREW_TEMPORAL_METRICS_PORT,
        namespace: env.TEMPORAL_NAMESPACE,
        headless: opts.headless,
      });
      process.stdout.write(
        `Temporal dev server ready at ${server.address} (namespace ${env.TEMPORAL_NAMESPACE})\n` +
          (server.webUiUrl ? `Web UI: ${server.webUiUrl}\n` : '') +
          `history: ${server.dbFile}\nlog: ${server.logFile}\nCtrl-C stops it.\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.stdout.write('stopping the Temporal dev server...\n');
          void server.stop().then(resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      process.stdout.write('stopped.\n');
    });
}
