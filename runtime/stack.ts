import { installWorkerLogging } from '../core/logging';
import type { Server } from 'node:http';
import fs from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { openArtifactStore } from '../artifacts';
import { taskQueues } from '../contracts';
import { createDockerSandbox, ensureSandboxImage, janitor } from '../sandbox';
import { createApp } from '../server/app';
import { answerClientErrors } from '../server/http-error';
import { checkReadiness } from '../server/readiness';
import type { RolloutService } from '../server/rollout-service';
import { temporalRollout } from '../server/temporal-rollout';
import { temporalRuns } from '../server/temporal-runs';
import { startWorkers, type RunningWorkers, type WorkerKind } from '../workers';
import { productionActivities } from '../workers/deps';
import { autoRollbackFrom, pathsFrom, readEnv, sandboxCapsFrom } from '../core/config';
import { provision, type Report } from './provision';
import { startEmbeddedServer, type EmbeddedServer } from './temporal-server';

export interface Stack {
  address: string;
  namespace: string;
  webUiUrl?: string;
  apiUrl?: string;
  client: Client;
  runs: ReturnType<typeof temporalRuns>;
  rollout: RolloutService;
  modelDescription: string;
  stop(): Promise<void>;
}

/**
 * devcrew on one machine: the embedded Temporal server (unless TEMPORAL_ADDRESS names one), the workers
 * of the kinds asked for, and the HTTP API. What `devcrew up` runs and what the end-to-end tests drive.
 */
export async function startStack(options: {
  report: Report;
  workers?: readonly WorkerKind[];
  api?: boolean;
  /** Tests: run against this server instead of starting one. */
  temporalAddress?: string;
  apiPort?: number;
  headless?: boolean;
  /** Prefix for the task queue names and the rollout's id, so several stacks can share one server
   * (tests); default DEVCREW_TASK_QUEUE_PREFIX. */
  queuePrefix?: string;
}): Promise<Stack> {
  installWorkerLogging();
  const env = readEnv();
  const { stateDir } = pathsFrom(env);
  await fs.mkdir(stateDir, { recursive: true });
  const kinds = options.workers ?? ['runs', 'agents', 'sandbox'];
  const prefix = options.queuePrefix ?? env.DEVCREW_TASK_QUEUE_PREFIX;
  const queues = taskQueues(prefix);
  const p = await provision(
    {
      temporal: !options.temporalAddress,
      docker: kinds.includes('sandbox'),
      sandboxImage: kinds.includes('sandbox'),
    },
    { env, report: options.report },
  );
  let embedded: EmbeddedServer | undefined;
  const address = options.temporalAddress ?? env.TEMPORAL_ADDRESS ?? undefined;
  if (!address) {
    embedded = await startEmbeddedServer({
      cli: p.temporalCli!,
      stateDir,
      port: env.DEVCREW_TEMPORAL_PORT,
      uiPort: env.DEVCREW_UI_PORT,
      namespace: env.TEMPORAL_NAMESPACE,
      headless: options.headless,
    });
    options.report(`Temporal dev server at ${embedded.address}, history in ${embedded.dbFile}`);
  }
  const target = address ?? embedded!.address;
  const webUiUrl = embedded?.webUiUrl;
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await embedded?.stop();
  };
  try {
    const native = await NativeConnection.connect({ address: target });
    cleanups.push(() => native.close());
    const connection = await Connection.connect({ address: target });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
    const acts = await productionActivities({
      client,
      withSandbox: kinds.includes('sandbox'),
      report: options.report,
      makeSandbox: async () => {
        const removed = await janitor(p.docker!);
        if (removed) options.report(`sandbox: removed ${removed} container(s) left by an earlier crash`);
        return createDockerSandbox({
          docker: p.docker!,
          image: await ensureSandboxImage(p.docker!, p.sandboxBaseImage!, () => undefined),
          poolSize: 2,
          maxLimits: sandboxCapsFrom(env),
          log: options.report,
        });
      },
    });
    cleanups.push(() => acts.close());
    let workers: RunningWorkers | undefined;
    if (kinds.length > 0) {
      workers = await startWorkers({
        connection: native,
        namespace: env.TEMPORAL_NAMESPACE,
        kinds,
        agents: acts.agents,
        sandbox: acts.sandbox,
        taskQueues: queues,
      });
      cleanups.push(() => workers!.shutdown());
      options.report(`workers polling ${workers.workers.map((w) => w.taskQueue).join(', ')}`);
    }
    const rollout = temporalRollout({ client, queues, prefix, autoRollback: autoRollbackFrom(env) });
    // The rollout's timer (auto-rollback) runs from the start, not from its first use.
    if (kinds.includes('runs')) await rollout.ensure();
    const runs = temporalRuns({
      client,
      model: acts.model.model.info,
      artifacts: () => openArtifactStore({ repoDir: acts.repoDir }),
      rollout,
      ...(prefix ? { queues } : {}),
    });
    let apiUrl: string | undefined;
    if (options.api !== false) {
      const app = createApp({
        runs,
        rollout,
        token: process.env.DEVCREW_API_TOKEN,
        namespace: env.TEMPORAL_NAMESPACE,
        webUiUrl,
        readiness: () =>
          checkReadiness({
            connection,
            namespace: env.TEMPORAL_NAMESPACE,
            taskQueues: [
              { name: queues.runs, kind: 'workflow' },
              { name: queues.agents, kind: 'activity' },
              { name: queues.sandbox, kind: 'activity' },
            ],
            docker: p.docker,
          }),
      });
      const port = options.apiPort ?? env.DEVCREW_API_PORT;
      const server = await new Promise<Server>((resolve, reject) => {
        const s = app.listen(port, '127.0.0.1', () => resolve(s));
        answerClientErrors(s);
        s.once('error', (err: NodeJS.ErrnoException) =>
          reject(
            err.code === 'EADDRINUSE'
              ? new Error(`port ${port} is taken; set DEVCREW_API_PORT to a free port`)
              : err,
          ),
        );
      });
      cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
      const addr = server.address();
      apiUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : port}`;
      options.report(
        `HTTP API at ${apiUrl}${process.env.DEVCREW_API_TOKEN ? '' : ' (read-only: set DEVCREW_API_TOKEN to allow changes)'}`,
      );
    }
    return {
      address: target,
      namespace: env.TEMPORAL_NAMESPACE,
      webUiUrl,
      apiUrl,
      client,
      runs,
      rollout,
      modelDescription: acts.model.description,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
