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
    .action(async (o: { kind: string }) => {
      const kinds = o.kind.split(',').map((k) => k.trim()) as WorkerKind[];
      const unknown = kinds.filter((k) => !WORKER_KINDS.includes(k));
      if (unknown.length)
        throw new CliError(`unknown --kind ${unknown.join(', ')}; use ${WORKER_KINDS.join(', ')}`);
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
      const connection = await NativeConnection.connect({ address }).catch(() => {
        throw new CliError(
          `no Temporal server answers at ${address}; start one (devcrew server) or set TEMPORAL_ADDRESS`,
          1,
        );
      });
      const client = new Client({
        connection: await Connection.connect({ address }),
        namespace: env.TEMPORAL_NAMESPACE,
      });
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
