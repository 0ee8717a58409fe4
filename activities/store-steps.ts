import type {
  ArtifactRef,
  FinishTaskInput,
  IntegrateInput,
  IntegrateResult,
  PrepareTaskInput,
} from '../contracts';
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
    async integrate(input: IntegrateInput): Promise<IntegrateResult> {
      return converting(() =>
        deps.artifacts.integrate({
          runId: input.run_id,
          refs: input.task_refs,
          ...(input.signatures ? { signatures: input.signatures } : {}),
        }),
      );
    },
  };
}
