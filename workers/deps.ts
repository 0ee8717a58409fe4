import { createAgentActivities, createSandboxActivities } from '../activities';
import type { Client } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { meterMetrics } from '../core/metrics';
import { createRolloutActivities } from '../activities/rollout';
import type { AgentActivities, RolloutActivities, SandboxActivities } from '../activities/types';
import { openArtifactStore, type GitRemote } from '../artifacts';
import { createModel, type ModelSetup } from '../models/config';
import { pathsFrom, publishRemoteFrom, readEnv, readModelSettings, storeServerFrom } from '../core/config';
import type { Report } from '../core/report';
import type { Sandbox } from '../sandbox/types';

export interface ProductionActivities {
  /** The model-bound activities and, beside them, the rollout's figures (light visibility reads). */
  agents: AgentActivities & RolloutActivities;
  sandbox: SandboxActivities;
  model: ModelSetup;
  repoDir: string;
  /** The artifact store as this host reads it (through its Git server, when it has one). */
  openStore: () => ReturnType<typeof openArtifactStore>;
  close(): Promise<void>;
}

/**
 * The real clients, from the environment: the model (chosen by models/providers.ts), the
 * artifact store in the state dir, and, for sandbox workers, the Docker sandbox.
 */
export async function productionActivities(options: {
  withSandbox: boolean;
  report: Report;
  makeSandbox?: () => Promise<Sandbox>;
  /** The Temporal client the rollout's figures read visibility with. */
  client: Client;
  /** The artifact store's Git server; default DEVCREW_ARTIFACTS_SERVER_URL (none: the local repository). */
  storeServer?: GitRemote;
}): Promise<ProductionActivities> {
  const env = readEnv();
  const { stateDir } = pathsFrom(env);
  const model = createModel(readModelSettings(), stateDir);
  options.report(`model: ${model.description}`);
  const repoDir = pathsFrom(env).artifactsDir;
  const server = options.storeServer ?? storeServerFrom(env);
  const artifacts = await openArtifactStore({ repoDir, server });
  if (server) options.report(`artifact store: ${server.url} (source of truth), cached in ${repoDir}`);
  const sandbox = options.withSandbox && options.makeSandbox ? await options.makeSandbox() : undefined;
  const stepDelaysMs = env.DEVCREW_FAULT_STEP_DELAYS
    ? Object.fromEntries(
        env.DEVCREW_FAULT_STEP_DELAYS.split(',').map((p) => [p.split('=')[0]!, Number(p.split('=')[1])]),
      )
    : undefined;
  if (stepDelaysMs)
    options.report(`fault injection: steps wait after their work: ${env.DEVCREW_FAULT_STEP_DELAYS}`);
  const metrics = meterMetrics(Runtime.instance().metricMeter, model.model.info.provider);
  const publishTo = publishRemoteFrom(env);
  if (publishTo) options.report(`finished runs are published to ${publishTo.url}`);
  const deps = {
    model: model.model,
    prices: model.prices,
    artifacts,
    publishTo,
    sandbox,
    stepDelaysMs,
    metrics,
  };
  return {
    agents: { ...createAgentActivities(deps), ...createRolloutActivities({ client: options.client }) },
    sandbox: createSandboxActivities(deps),
    model,
    repoDir,
    openStore: () => openArtifactStore({ repoDir, server }),
    close: async () => {
      await sandbox?.close();
    },
  };
}
