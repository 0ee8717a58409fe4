import type Docker from 'dockerode';
import { pathsFrom, readEnv, type Env, type Paths } from '../../core/config';
import { ensureChromium } from './chromium';
import { ensureDockerEngine } from './docker-engine';
import { ensureMonitoringTools, type MonitoringTools } from './monitoring';
import { ensureHumanEval } from './humaneval';
import { ensureProductionTools, type ProductionTools } from './production';
import { ensureDockerCompose } from './compose';
import { stderrReport, type Report } from '../../core/report';
import { ensureSandboxBaseImage } from './sandbox-image';
import { ensureTemporalCli } from './temporal-cli';
import { ensureLocalModel, type LocalModelFiles } from './local-model';

export { ProvisionError } from '../../core/errors';
export { type Report, silentReport, stderrReport } from '../../core/report';
export { TEMPORAL_CLI_VERSION } from './temporal-cli';
export { baseImageTag } from './sandbox-image';
export { dockerAnswers, dockerClient } from '../../sandbox/docker-client';

export interface Provisioned {
  paths: Paths;
  /** Absolute path of the Temporal CLI, when an embedded server is needed. */
  temporalCli?: string;
  docker?: Docker;
  sandboxBaseImage?: string;
  /** Path of a Chromium for browser checks of the Web UI. */
  chromium?: string;
  /** Prometheus, promtool and Alertmanager (`devcrew up --monitoring`, the rule tests). */
  monitoring?: MonitoringTools;
  /** HumanEval's data file in the cache dir (`devcrew eval`). */
  humanEval?: string;
  /** The Temporal server, its SQL tool and PostgreSQL (`devcrew up --temporal postgres`). */
  production?: ProductionTools;
  /** The local model: llama.cpp's server package and the checked weights. */
  localModel?: LocalModelFiles;
}

/**
 * Brings up what devcrew runs on, each step skipped when already satisfied. Idempotent: a warm machine
 * answers in about a second.
 */
export async function provision(
  needs: {
    temporal?: boolean;
    docker?: boolean;
    sandboxImage?: boolean;
    chromium?: boolean;
    monitoring?: boolean;
    eval?: boolean;
    production?: boolean;
    /** `docker compose`, to check the compose file (tests). */
    compose?: boolean;
    /** The local model's server package and weights (models/local-models.ts id). */
    localModel?: string;
  },
  options: { env?: Env; report?: Report } = {},
): Promise<Provisioned> {
  const env = options.env ?? readEnv();
  const report = options.report ?? stderrReport;
  const paths = pathsFrom(env);
  const out: Provisioned = { paths };
  if (needs.temporal && !env.TEMPORAL_ADDRESS)
    out.temporalCli = await ensureTemporalCli(paths.cacheDir, report);
  if (needs.docker || needs.sandboxImage) out.docker = await ensureDockerEngine(paths.stateDir, report);
  if (needs.sandboxImage && out.docker) {
    out.sandboxBaseImage = await ensureSandboxBaseImage(out.docker, {
      pull: env.DEVCREW_SANDBOX_IMAGE_PULL,
      report,
    });
  }
  if (needs.chromium) out.chromium = await ensureChromium(report);
  if (needs.monitoring) out.monitoring = await ensureMonitoringTools(report);
  if (needs.eval) out.humanEval = await ensureHumanEval(paths.cacheDir, report);
  if (needs.production) out.production = await ensureProductionTools(paths.cacheDir, report);
  if (needs.compose) await ensureDockerCompose(report);
  if (needs.localModel) out.localModel = await ensureLocalModel(paths.cacheDir, needs.localModel, report);
  return out;
}
