import { Client, Connection } from '@temporalio/client';
import { openArtifactStore } from '../artifacts';
import { createModel } from '../models/config';
import {
  autoRollbackFrom,
  gatePolicyFrom,
  pathsFrom,
  readEnv,
  readModelSettings,
  storeServerFrom,
} from '../core/config';
import { taskQueues, type Action } from '../contracts';
import { temporalRollout } from '../server/temporal-rollout';
import { temporalRuns } from '../server/temporal-runs';
import { readStackFile } from '../runtime/stack-file';
import { CliError } from './exit-codes';
import { cliActor } from './identity';

/**
 * The runs through a Temporal client, for commands that work against a running devcrew, once the
 * caller's credential allows `action` (cli/identity.ts); `actor` is who they are.
 */
export async function connectRuns(action: Action) {
  const actor = await cliActor(action);
  const env = readEnv();
  const address = env.TEMPORAL_ADDRESS ?? `127.0.0.1:${env.DEVCREW_TEMPORAL_PORT}`;
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: 3_000 });
    await connection.workflowService.getSystemInfo({});
  } catch {
    throw new CliError(
      `no Temporal server answers at ${address}; start devcrew with \`devcrew up\` (or set TEMPORAL_ADDRESS)`,
      1,
    );
  }
  const { stateDir } = pathsFrom(env);
  const stack = await readStackFile(stateDir);
  const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
  const prefix = env.DEVCREW_TASK_QUEUE_PREFIX;
  const queues = taskQueues(prefix);
  const rollout = temporalRollout({ client, queues, prefix, autoRollback: autoRollbackFrom(env) });
  const runs = temporalRuns({
    client,
    rollout,
    gatePolicy: gatePolicyFrom(env),
    ...(prefix ? { queues } : {}),
    model: createModel(readModelSettings(), stateDir).model.info,
    artifacts: () => {
      // With a Git server, any host reads a run: its cache is made on first use.
      const server = storeServerFrom(env);
      return openArtifactStore({
        repoDir: pathsFrom(env).artifactsDir,
        server,
        create: server !== undefined,
      });
    },
  });
  return {
    actor,
    runs,
    rollout,
    client,
    close: () => connection.close(),
    // The Web UI of the stack this command talks to, as that stack wrote it; else the default port.
    webUi:
      stack && stack.address.split(':').pop() === address.split(':').pop()
        ? stack.web_ui_url
        : env.TEMPORAL_ADDRESS
          ? undefined
          : `http://127.0.0.1:${env.DEVCREW_UI_PORT}`,
  };
}
