import type { Connection } from '@temporalio/client';
import type Docker from 'dockerode';
import { dockerAnswers } from '../sandbox/docker-client';

export interface ReadinessCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/**
 * What `/readyz` asks: Temporal answers, a worker polls every task queue the runs need, Docker answers.
 * Each check is bounded so a hung dependency makes the probe fail, not hang.
 */
export async function checkReadiness(deps: {
  connection: Connection;
  namespace: string;
  taskQueues: { name: string; kind: 'workflow' | 'activity' }[];
  docker?: Docker;
  /** The local model server devcrew runs, when it runs one. */
  model?: { baseUrl: string; healthy(): Promise<boolean> };
  /** The artifact store's Git server, when the store has one (undefined: none to check). */
  artifactServer?: () => Promise<{ ok: boolean; detail: string } | undefined>;
}): Promise<ReadinessCheck[]> {
  const checks: ReadinessCheck[] = [];
  try {
    await withTimeout(deps.connection.workflowService.getSystemInfo({}), 3_000);
    checks.push({ name: 'temporal', ok: true, detail: 'answers' });
  } catch (err) {
    checks.push({ name: 'temporal', ok: false, detail: `does not answer: ${(err as Error).message}` });
    return checks;
  }
  for (const queue of deps.taskQueues) {
    try {
      const res = await withTimeout(
        deps.connection.workflowService.describeTaskQueue({
          namespace: deps.namespace,
          taskQueue: { name: queue.name },
          taskQueueType: queue.kind === 'workflow' ? 1 : 2,
        }),
        3_000,
      );
      const pollers = res.pollers?.length ?? 0;
      checks.push({
        name: `task queue ${queue.name} (${queue.kind})`,
        ok: pollers > 0,
        detail: pollers > 0 ? `${pollers} poller(s)` : 'no worker polls it; start `devcrew worker`',
      });
    } catch (err) {
      checks.push({ name: `task queue ${queue.name}`, ok: false, detail: (err as Error).message });
    }
  }
  if (deps.docker) {
    const ok = await dockerAnswers(deps.docker);
    checks.push({ name: 'docker', ok, detail: ok ? 'answers' : 'does not answer' });
  }
  if (deps.model) {
    const ok = await deps.model.healthy();
    checks.push({
      name: 'model server',
      ok,
      detail: ok ? `${deps.model.baseUrl} answers` : `${deps.model.baseUrl} does not answer (restarting?)`,
    });
  }
  const server = await deps.artifactServer?.().catch((err: Error) => ({ ok: false, detail: err.message }));
  if (server) checks.push({ name: 'artifact server', ...server });
  return checks;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
