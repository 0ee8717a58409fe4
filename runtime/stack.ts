import { installRuntime } from '../core/telemetry';
import type { Server } from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeStackFile } from './stack-file';
import { ownModelServer, type ModelServer } from './model-server';
import { checkModelServed } from '../models/model-check';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
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
import {
  autoRollbackFrom,
  gatePolicyFrom,
  oidcFrom,
  pathsFrom,
  readEnv,
  sandboxCapsFrom,
} from '../core/config';
import { authenticator } from '../server/auth';
import { usersStore } from '../server/users';
import { provision, type Report } from './provision';
import { startEmbeddedServer, type EmbeddedServer } from './temporal-server';
import { startMonitoring, type Monitoring, type MonitoringPacing } from './monitoring';
import { startProductionTemporal, type ProductionTemporal } from './production';
import { alertReceiver } from '../server/alerts';
import { createApiMetrics, type QueuePollers } from '../server/metrics';
import { ConfigError } from '../core/errors';
import { startGitServer, type GitServer } from './git-server';

export interface Stack {
  address: string;
  namespace: string;
  webUiUrl?: string;
  /** devcrew's own local model server, when it runs one. */
  modelServer?: ModelServer;
  apiUrl?: string;
  /** Where this process's workers serve their metrics (host:port), unless DEVCREW_METRICS_PORT=off. */
  metricsAddress?: string;
  /** The artifact store's Git server, with `--temporal postgres` (unless DEVCREW_ARTIFACTS_SERVER_URL names one). */
  gitServer?: GitServer;
  /** Prometheus and Alertmanager, with `monitoring`. */
  monitoring?: Monitoring;
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
  /** Prometheus and Alertmanager beside the stack (`devcrew up --monitoring`); tests shorten the intervals. */
  monitoring?: boolean | MonitoringPacing;
  /** Which Temporal to start when no address is given: the dev server (SQLite), or the production-shaped
   * server on PostgreSQL (`devcrew up --temporal postgres`). */
  temporal?: 'dev' | 'postgres';
}): Promise<Stack> {
  const env = readEnv();
  const telemetry = installRuntime(env);
  if (telemetry.metricsAddress)
    options.report(`worker metrics at http://${telemetry.metricsAddress}/metrics`);
  const { stateDir } = pathsFrom(env);
  await fs.mkdir(stateDir, { recursive: true });
  const kinds = options.workers ?? ['runs', 'agents', 'sandbox'];
  const prefix = options.queuePrefix ?? env.DEVCREW_TASK_QUEUE_PREFIX;
  const queues = taskQueues(prefix);
  if (options.monitoring && !telemetry.metricsAddress) {
    throw new ConfigError(
      'monitoring needs the workers\' metrics; set DEVCREW_METRICS_PORT to a port (it is "off")',
    );
  }
  const p = await provision(
    {
      temporal: !options.temporalAddress && options.temporal !== 'postgres',
      production: !options.temporalAddress && !env.TEMPORAL_ADDRESS && options.temporal === 'postgres',
      docker: kinds.includes('sandbox'),
      sandboxImage: kinds.includes('sandbox'),
      monitoring: Boolean(options.monitoring),
    },
    { env, report: options.report },
  );
  let embedded: EmbeddedServer | undefined;
  let production: ProductionTemporal | undefined;
  let address = options.temporalAddress ?? env.TEMPORAL_ADDRESS ?? undefined;
  if (!address && options.temporal === 'postgres') {
    production = await startProductionTemporal({
      tools: p.production!,
      stateDir,
      namespace: env.TEMPORAL_NAMESPACE,
      ports: {
        frontend: env.DEVCREW_TEMPORAL_PORT,
        postgres: env.DEVCREW_POSTGRES_PORT,
        internalBase: env.DEVCREW_TEMPORAL_INTERNAL_PORT_BASE,
      },
      ...(options.headless ? {} : { uiPort: env.DEVCREW_UI_PORT }),
      report: options.report,
    });
    address = production.address;
    options.report(
      `Temporal server at ${address} on PostgreSQL (port ${env.DEVCREW_POSTGRES_PORT}), state in ${production.dir}`,
    );
  } else if (!address) {
    embedded = await startEmbeddedServer({
      cli: p.temporalCli!,
      stateDir,
      port: env.DEVCREW_TEMPORAL_PORT,
      uiPort: env.DEVCREW_UI_PORT,
      metricsPort: env.DEVCREW_TEMPORAL_METRICS_PORT,
      namespace: env.TEMPORAL_NAMESPACE,
      headless: options.headless,
    });
    options.report(`Temporal dev server at ${embedded.address}, history in ${embedded.dbFile}`);
  }
  const target = address ?? embedded!.address;
  const webUiUrl = embedded?.webUiUrl ?? production?.webUiUrl;
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await embedded?.stop();
    await production?.stop();
  };
  try {
    // The local model's server, when the agents run here and no other server is named.
    const modelServer = kinds.includes('agents') ? await ownModelServer(options.report) : undefined;
    if (modelServer) cleanups.push(() => modelServer.stop());
    const native = await NativeConnection.connect({ address: target });
    cleanups.push(() => native.close());
    const connection = await Connection.connect({ address: target });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
    // The production shape: the artifact store on a Git server that workers on other hosts share.
    let gitServer: GitServer | undefined;
    if (production && !env.DEVCREW_ARTIFACTS_SERVER_URL) {
      gitServer = await startGitServer({
        root: path.join(stateDir, 'git-server'),
        host: env.DEVCREW_GIT_SERVER_HOST,
        port: env.DEVCREW_GIT_SERVER_PORT,
        token: env.DEVCREW_GIT_SERVER_TOKEN,
        repositories: ['artifacts'],
        report: options.report,
      });
      const server = gitServer;
      cleanups.push(() => server.stop());
      options.report(
        `workers on other hosts: DEVCREW_ARTIFACTS_SERVER_URL=${gitServer.url}/artifacts.git${env.DEVCREW_GIT_SERVER_TOKEN ? ' and DEVCREW_ARTIFACTS_SERVER_TOKEN' : ''}`,
      );
    }
    const acts = await productionActivities({
      client,
      ...(gitServer
        ? {
            storeServer: {
              url: `${gitServer.url}/artifacts.git`,
              ...(env.DEVCREW_GIT_SERVER_TOKEN
                ? { credentials: { username: 'devcrew', password: env.DEVCREW_GIT_SERVER_TOKEN } }
                : {}),
            },
          }
        : {}),
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
    if (modelServer) await checkModelServed(acts.model, options.report);
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
      artifacts: acts.openStore,
      rollout,
      gatePolicy: gatePolicyFrom(env),
      ...(prefix ? { queues } : {}),
    });
    let apiUrl: string | undefined;
    let monitoring: Monitoring | undefined;
    const alerts = alertReceiver(rollout);
    const metrics = createApiMetrics({
      dailyBudgetUsd: env.DEVCREW_DAILY_BUDGET_USD,
      rollout: () => rollout.state(),
      pollers: () => queuePollers(connection, env.TEMPORAL_NAMESPACE, queues),
    });
    if (options.api !== false) {
      const users = usersStore(stateDir);
      const app = createApp({
        metrics,
        alerts,
        prometheusUrl: () => monitoring?.prometheusUrl,
        runs,
        rollout,
        auth: authenticator({ users, bootstrapToken: env.DEVCREW_API_TOKEN, oidc: oidcFrom(env) }),
        users,
        authFailuresPerMinute: env.DEVCREW_AUTH_FAILURES_PER_MINUTE,
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
            ...(modelServer ? { model: modelServer } : {}),
            artifactServer: async () => (await acts.openStore()).serverCheck(),
          }),
      });
      const port = options.apiPort ?? env.DEVCREW_API_PORT;
      const server = await new Promise<Server>((resolve, reject) => {
        const s = app.listen(port, env.DEVCREW_API_HOST, () => resolve(s));
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
        `HTTP API at ${apiUrl}${(await users.configured()) || env.DEVCREW_API_TOKEN || env.DEVCREW_OIDC_JWKS_URL ? ' (every call needs a credential)' : ' (read-only: set DEVCREW_API_TOKEN, or add people with devcrew users add, to allow changes)'}`,
      );
    }
    if (options.monitoring) {
      if (!apiUrl) throw new ConfigError('monitoring needs the HTTP API (it scrapes its /metrics)');
      const pacing = typeof options.monitoring === 'object' ? options.monitoring : {};
      monitoring = await startMonitoring({
        tools: p.monitoring!,
        stateDir,
        prometheusPort: pacing.prometheusPort ?? env.DEVCREW_PROMETHEUS_PORT,
        alertmanagerPort: pacing.alertmanagerPort ?? env.DEVCREW_ALERTMANAGER_PORT,
        targets: {
          workers: [telemetry.metricsAddress!],
          api: apiUrl.replace(/^http:\/\//, ''),
          ...(embedded ? { temporal: embedded.metricsAddress } : {}),
          ...(production ? { temporal: production.metricsAddress } : {}),
          ...(modelServer ? { model: modelServer.metricsAddress } : {}),
        },
        apiUrl,
        apiToken: env.DEVCREW_API_TOKEN,
        ...pacing,
      });
      cleanups.push(() => monitoring!.stop());
      options.report(
        `Prometheus at ${monitoring.prometheusUrl}, Alertmanager at ${monitoring.alertmanagerUrl}`,
      );
    }
    // Commands on this machine (devcrew run, status) print links to this stack's own Web UI and API.
    const removeStackFile = await writeStackFile(stateDir, {
      address: target,
      ...(webUiUrl ? { web_ui_url: webUiUrl } : {}),
      ...(apiUrl ? { api_url: apiUrl } : {}),
    });
    cleanups.push(removeStackFile);
    return {
      address: target,
      namespace: env.TEMPORAL_NAMESPACE,
      webUiUrl,
      apiUrl,
      metricsAddress: telemetry.metricsAddress,
      monitoring,
      ...(gitServer ? { gitServer } : {}),
      client,
      runs,
      rollout,
      modelDescription: acts.model.description,
      ...(modelServer ? { modelServer } : {}),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** How many workers poll each devcrew task queue now (Temporal's DescribeTaskQueue). */
async function queuePollers(
  connection: Connection,
  namespace: string,
  queues: ReturnType<typeof taskQueues>,
): Promise<QueuePollers[]> {
  const asked = [
    { task_queue: queues.runs, kind: 'runs', type: 1 },
    { task_queue: queues.agents, kind: 'agents', type: 2 },
    { task_queue: queues.sandbox, kind: 'sandbox', type: 2 },
  ];
  return Promise.all(
    asked.map(async (q) => {
      const res = await connection.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: q.task_queue },
        taskQueueType: q.type,
      });
      // The server lists a poller for a while after its last poll; one that has not polled for longer
      // than a long poll (about a minute) is gone.
      const recent = (res.pollers ?? []).filter((p) => {
        const at = p.lastAccessTime?.seconds;
        return at === undefined || at === null || Date.now() / 1000 - Number(at) < 90;
      });
      return { task_queue: q.task_queue, kind: q.kind, pollers: recent.length };
    }),
  );
}
