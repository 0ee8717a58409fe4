/**
 * An agents worker in a process of its own, from the environment (as `devcrew worker --kind agents` runs),
 * on the task queues of DEVCREW_TEST_QUEUE_PREFIX: the worker a test kills with SIGKILL mid-call.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { taskQueues } from '../../contracts';
import { readEnv } from '../../core/config';
import { installRuntime } from '../../core/telemetry';
import { startWorkers } from '../../workers';
import { productionActivities } from '../../workers/deps';

async function main(): Promise<void> {
  const env = readEnv();
  installRuntime(env);
  const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS! });
  const client = new Client({
    connection: await Connection.connect({ address: env.TEMPORAL_ADDRESS! }),
    namespace: env.TEMPORAL_NAMESPACE,
  });
  const acts = await productionActivities({ withSandbox: false, report: () => undefined, client });
  const workers = await startWorkers({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    kinds: ['agents'],
    agents: acts.agents,
    taskQueues: taskQueues(process.env.DEVCREW_TEST_QUEUE_PREFIX ?? ''),
  });
  process.stdout.write('polling\n');
  await workers.done;
}

void main();
