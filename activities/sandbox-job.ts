import { activityContext, heartbeating } from './context';
import { DevcrewError } from '../core/errors';
import type { SandboxJob, SandboxResult } from '../sandbox/types';
import type { ActivityDeps } from './deps';

/**
 * Runs a sandbox job from inside an activity: heartbeats while it runs, and hands the activity's
 * cancellation (a cancelled run, a missed heartbeat) to the job, which kills its container.
 */
export async function runSandboxJob(
  { sandbox, metrics }: Pick<ActivityDeps, 'sandbox' | 'metrics'>,
  job: SandboxJob,
): Promise<SandboxResult> {
  const fields = {
    ...(job.labels?.runId ? { run_id: job.labels.runId } : {}),
    ...(job.labels?.taskId ? { task_id: job.labels.taskId } : {}),
  };
  if (!sandbox) {
    // Retryable (the catalogue): another worker of the queue may have Docker.
    throw new DevcrewError(
      'SANDBOX_UNAVAILABLE',
      'this worker has no sandbox',
      'run sandbox activities on a worker with Docker (devcrew worker --kind sandbox)',
      { fields },
    );
  }
  const context = activityContext();
  const started = Date.now();
  let status = 'sandbox_error';
  try {
    return await heartbeating(async () => {
      const result = await sandbox.run({ ...job, signal: context?.cancellationSignal ?? job.signal });
      status = result.commands.find((r) => r.status !== 'ok')?.status ?? 'ok';
      const broken = result.commands.find((r) => r.status === 'sandbox_error');
      if (broken) {
        // The sandbox failed, not the code or a tool: Temporal tries the step again.
        throw new DevcrewError(
          'SANDBOX_ERROR',
          `the sandbox could not run "${String(broken.cmd)}": ${`${broken.stderr}`.trim().slice(-500)}`,
          'check the Docker engine (devcrew setup); the step is retried',
          { fields },
        );
      }
      return result;
    });
  } finally {
    if (status === 'sandbox_error' && context?.cancellationSignal.aborted) status = 'cancelled';
    metrics?.sandboxJob({ status, seconds: (Date.now() - started) / 1000 });
  }
}
