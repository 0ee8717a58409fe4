import type { Command } from 'commander';
import { readEnv } from '../../core/config';
import { stderrReport } from '../../runtime/provision';
import { startStack } from '../../runtime/stack';

/**
 * `devcrew api`: the HTTP API alone, against TEMPORAL_ADDRESS (or the local port), for a team whose
 * workers run elsewhere (`devcrew worker --kind ...`). Any number can run behind a load balancer.
 */
export function registerApi(program: Command): void {
  program
    .command('api')
    .description('run the HTTP API only, against a running Temporal server (TEMPORAL_ADDRESS); no workers')
    .action(async () => {
      const env = readEnv();
      const stack = await startStack({
        report: stderrReport,
        workers: [],
        temporalAddress: env.TEMPORAL_ADDRESS ?? `127.0.0.1:${env.DEVCREW_TEMPORAL_PORT}`,
      });
      process.stdout.write(`devcrew API at ${stack.apiUrl} (Temporal ${stack.address}); Ctrl-C stops it.\n`);
      await new Promise<void>((resolve) => {
        const stop = () => void stack.stop().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
