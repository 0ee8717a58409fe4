import type {
  ArtifactRef,
  FinishTaskInput,
  IntegrateInput,
  IntegrateResult,
  PrepareTaskInput,
} from '../contracts';
import type { GitRemote } from '../artifacts/remote';
import type { ActivityDeps } from './deps';
import { converting } from './failures';

/** The artifact store's steps in a run: start a task from its dependencies, tag it, integrate the run. */
export function createStoreSteps(deps: ActivityDeps) {
  return {
    async prepareTask(input: PrepareTaskInput): Promise<ArtifactRef> {
      return converting(() =>
        deps.artifacts.prepareTask({
          runId: input.run_id,
          taskId: input.task_id,
          dependencies: input.dependency_refs,
        }),
      );
    },
    async finishTask(input: FinishTaskInput): Promise<ArtifactRef> {
      return converting(() =>
        deps.artifacts.finishTask({
          runId: input.run_id,
          taskId: input.task_id,
          commit: input.ref.commit,
        }),
      );
    },
    /** Merges the run's results, then publishes them when the run or the workers ask (never failing the run for it). */
    async integrate(input: IntegrateInput): Promise<IntegrateResult> {
      return converting(async () => {
        const result = await deps.artifacts.integrate({
          runId: input.run_id,
          refs: input.task_refs,
          ...(input.signatures ? { signatures: input.signatures } : {}),
        });
        const target = publishTarget(input.push, deps.publishTo);
        if (target === undefined) return result;
        if ('refused' in target || !deps.artifacts.publish) {
          const error =
            'refused' in target
              ? target.refused
              : '[ARTIFACT_PUSH_FAILED] this artifact store cannot publish; configure a Git store';
          return { ...result, publish: { url: '', status: 'failed', refs: [], attempts: 1, error } };
        }
        return { ...result, publish: await deps.artifacts.publish(input.run_id, target) };
      });
    },
  };
}

/**
 * Where a run is published: its own `options.push` URL (with the workers' credentials only when it is the
 * configured URL), the workers' DEVCREW_ARTIFACTS_PUSH_URL, or nowhere.
 */
export function publishTarget(
  push: IntegrateInput['push'],
  configured: GitRemote | undefined,
): GitRemote | { refused: string } | undefined {
  if (push === false) return undefined;
  if (typeof push === 'string') {
    return configured?.url === push ? configured : { url: push };
  }
  if (push === true && configured === undefined) {
    return {
      refused:
        '[ARTIFACT_PUSH_FAILED] the run asked to be pushed (options.push: true) but DEVCREW_ARTIFACTS_PUSH_URL is not set on the worker; set it, or give options.push a URL',
    };
  }
  return configured;
}
