import { installRuntime } from '../../core/telemetry';
import type { Command } from 'commander';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { taskQueues } from '../../contracts';
import { temporalRollout } from '../../server/temporal-rollout';
import { createModel } from '../../models/config';
import { checkModelServed } from '../../models/model-check';
import { autoRollbackFrom, pathsFrom, readEnv, readModelSettings, sandboxCapsFrom } from '../../core/config';
import { ownModelServer } from '../../runtime/model-server';
import { provision, stderrReport } from '../../runtime/provision';
import { createDockerSandbox, ensureSandboxImage, janitor } from '../../sandbox';
import { startWorkers, WORKER_KINDS, type WorkerKind } from '../../workers';
import { productionActivities } from '../../workers/deps';
import { CliError } from '../exit-codes';

/** `devcrew worker --kind runs,agents,sandbox`: workers only, for scaling each kind on its own hosts. */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(
      'run workers against a Temporal server (TEMPORAL_ADDRESS); Ctrl-C lets running activities finish',
    )
    .option('--kind <kinds>', `comma-separated: ${WORKER_KINDS.join(', ')}`, WORKER_KINDS.join(','))
    .option(
      '--connect-wait <seconds>',
      'how long to keep trying to reach the Temporal server before giving up',
      '60',
    )
    .action(async (o: { kind: string; connectWait: string }) => {
      const kinds = o.kind.split(',').map((k) => k.trim()) as WorkerKind[];
      const unknown = kinds.filter((k) => !WORKER_KINDS.includes(k));
      if (unknown.length)
        throw new CliError(`unknown --kind ${unknown.join(', ')}; use ${WORKER_KINDS.join(', ')}`);
      const connectWait = Number(o.connectWait);
      if (!Number.isFinite(connectWait) || connectWait < 0)
        throw new CliError(`--connect-wait must be a number of seconds (0 or more), got "${o.connectWait}"`);
      const env = readEnv();
      const telemetry = installRuntime(env);
      if (telemetry.metricsAddress) stderrReport(`metrics at http://${telemetry.metricsAddress}/metrics`);
      const address = env.TEMPORAL_ADDRESS ?? `127.0.0.1:${env.DEVCREW_TEMPORAL_PORT}`;
      // Agents on this host ask the local model through devcrew's own server unless another is named.
      const modelServer = kinds.includes('agents') ? await ownModelServer(stderrReport) : undefined;
      if (kinds.includes('agents'))
        await checkModelServed(createModel(readModelSettings(), pathsFrom(env).stateDir), stderrReport);
      const p = await provision({
        docker: kinds.includes('sandbox'),
        sandboxImage: kinds.includes('sandbox'),
      });
      const { connection, client } = await connectTemporal(address, env.TEMPORAL_NAMESPACE, connectWait);
      const queues = taskQueues(env.DEVCREW_TASK_QUEUE_PREFIX);
      const acts = await productionActivities({
        client,
        withSandbox: kinds.includes('sandbox'),
        report: stderrReport,
        makeSandbox: async () => {
          await janitor(p.docker!);
          return createDockerSandbox({
            docker: p.docker!,
            image: await ensureSandboxImage(p.docker!, p.sandboxBaseImage!, () => undefined),
            poolSize: 2,
            maxLimits: sandboxCapsFrom(env),
            log: stderrReport,
          });
        },
      });
      const workers = await startWorkers({
        connection,
        namespace: env.TEMPORAL_NAMESPACE,
        kinds,
        agents: acts.agents,
        sandbox: acts.sandbox,
        taskQueues: queues,
      });
      if (kinds.includes('runs')) {
        // The rollout's timer (auto-rollback) lives on the runs workers: make sure it runs.
        await temporalRollout({
          client,
          queues,
          prefix: env.DEVCREW_TASK_QUEUE_PREFIX,
          autoRollback: autoRollbackFrom(env),
        }).ensure();
      }
      process.stdout.write(
        `workers polling ${workers.workers.map((w) => w.taskQueue).join(', ')} at ${address}; Ctrl-C stops them\n`,
      );
      const stop = () => void workers.shutdown();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await workers.done;
      await acts.close();
      await modelServer?.stop();
      await connection.close();
      await client.connection.close();
      process.stdout.write('workers stopped.\n');
    });
}

/**
 * Both connections a worker host needs, tried until `waitSeconds` have passed: a worker started beside
 * its server (or restarted while the server is busy) waits for it instead of exiting at once.
 */
async function connectTemporal(
  address: string,
  namespace: string,
  waitSeconds: number,
): Promise<{ connection: NativeConnection; client: Client }> {
  const started = Date.now();
  const deadline = started + waitSeconds * 1000;
  let reported = 0;
  for (;;) {
    let native: NativeConnection | undefined;
    let connection: Connection | undefined;
    try {
      native = await NativeConnection.connect({ address });
      connection = await Connection.connect({ address, connectTimeout: 5_000 });
      await connection.workflowService.getSystemInfo({});
      return { connection: native, client: new Client({ connection, namespace }) };
    } catch (e) {
      await native?.close().catch(() => undefined);
      await connection?.close().catch(() => undefined);
      const waited = Math.round((Date.now() - started) / 1000);
      if (Date.now() >= deadline)
        throw new CliError(
          `no Temporal server answers at ${address} (tried for ${waited} s: ${(e as Error).message}); ` +
            'start one (devcrew server) or set TEMPORAL_ADDRESS, or wait longer with --connect-wait',
          1,
        );
      if (Date.now() - reported >= 10_000) {
        stderrReport(`waiting for the Temporal server at ${address} (${waited} of ${waitSeconds} s)`);
        reported = Date.now();
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}
