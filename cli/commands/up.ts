import type { Command } from 'commander';
import { createModel } from '../../models/config';
import { checkModelServed } from '../../models/model-check';
import { runsOwnModelServer } from '../../models/providers';
import { pathsFrom, readEnv, readModelSettings } from '../../core/config';
import { stderrReport } from '../../runtime/provision';
import { startStack } from '../../runtime/stack';
import { CliError, EXIT } from '../exit-codes';
import { defaultOutDir, exportRun } from '../export-run';
import { finalReport, followRun } from '../follow-run';
import { offerRating } from '../rate-prompt';

/**
 * `devcrew up [request]`: the embedded Temporal server, the workers and the HTTP API together. With a
 * request, runs it end to end and prints where everything is; then stays up for the Web UI until Ctrl-C
 * (or exits with --exit).
 */
export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start embedded Temporal, the workers and the HTTP API; with a request, run it end to end')
    .argument('[request]', 'what to build, e.g. "Create simple SMA crossover strategy"')
    .option('--approve-plan', 'approve the plan without asking')
    .option('--exit', 'stop everything once the run ends (exit code 0 only if it completed)')
    .option('--headless', 'without the Temporal Web UI')
    .option(
      '--temporal <kind>',
      'dev: the embedded dev server on SQLite; postgres: the Temporal server on PostgreSQL (devcrew setup --production)',
      'dev',
    )
    .option(
      '--monitoring',
      'also run Prometheus and Alertmanager (deploy/monitoring/ rules; alerts reach POST /v1/alerts)',
    )
    .option('--out <dir>', "where the run's files go (default ./devcrew-output/<run>/)")
    .option('--no-export', "leave the run's files in the artifact repository only")
    .action(
      async (
        request: string | undefined,
        opts: {
          approvePlan?: boolean;
          exit?: boolean;
          headless?: boolean;
          monitoring?: boolean;
          temporal: string;
          out?: string;
          export: boolean;
        },
      ) => {
        const write = (line: string) => process.stdout.write(`${line}\n`);
        // devcrew's own local model server is checked once the stack has started it.
        if (!runsOwnModelServer(readModelSettings()))
          await checkModelServed(
            createModel(readModelSettings(), pathsFrom(readEnv()).stateDir),
            stderrReport,
          );
        if (opts.temporal !== 'dev' && opts.temporal !== 'postgres')
          throw new CliError(`--temporal ${opts.temporal}: use dev or postgres`);
        const stack = await startStack({
          report: stderrReport,
          headless: opts.headless,
          monitoring: opts.monitoring,
          temporal: opts.temporal,
        });
        let stopping = false;
        const stop = async () => {
          if (stopping) return;
          stopping = true;
          write('stopping devcrew (workers finish or hand over their activities)...');
          await stack.stop();
          write('stopped.');
        };
        write(
          `devcrew is up. Temporal ${stack.address}${stack.webUiUrl ? `, Web UI ${stack.webUiUrl}` : ''}, API ${stack.apiUrl}`,
        );
        write(`model: ${stack.modelDescription}`);
        write(`dashboard: ${stack.apiUrl}/dashboard`);
        if (stack.monitoring)
          write(
            `Prometheus: ${stack.monitoring.prometheusUrl}, Alertmanager: ${stack.monitoring.alertmanagerUrl}`,
          );
        const stopped = new Promise<void>((resolve) => {
          const onSignal = () => {
            if (!stopping) return void stop().then(resolve);
            // A second Ctrl-C: stop at once. The servers devcrew started go with it (runtime/children.ts);
            // a step still running is handed to another worker by Temporal after its heartbeat timeout.
            write(
              'stopping at once (a second signal): steps still running are picked up when devcrew is up again',
            );
            process.exit(130);
          };
          process.on('SIGINT', onSignal);
          process.on('SIGTERM', onSignal);
        });
        if (request) {
          const { run_id } = await stack.runs.start({ request, options: {} });
          write(`started ${run_id}`);
          const run = await Promise.race([
            followRun({
              runs: stack.runs,
              runId: run_id,
              approvePlan: opts.approvePlan,
              interactive: true,
              write,
            }),
            stopped.then(() => undefined),
          ]);
          if (!run) return;
          const exported = opts.export ? await exportRun(run, opts.out ?? defaultOutDir(run_id)) : undefined;
          if (exported && !exported.dir) write(`  ${exported.note}`);
          write(finalReport(run, stack.webUiUrl, exported?.dir));
          await offerRating({ runs: stack.runs, rollout: stack.rollout, run, write });
          if (opts.exit) {
            await stop();
            process.exitCode = run.status === 'completed' ? EXIT.ok : EXIT.invalid;
            return;
          }
        } else if (opts.exit) {
          await stop();
          return;
        }
        write('Ctrl-C stops devcrew.');
        await stopped;
      },
    );
}
