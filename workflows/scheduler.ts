import { isCancellation, workflowInfo } from '@temporalio/workflow';
import type { ArtifactRef, RunOptions, TodoItem, TodoList } from '../contracts';
import { describeFailure, type TaskBoard } from './task-state';

export interface DagOptions {
  list: TodoList;
  board: TaskBoard;
  /** Each finished task's tagged commit, by task id (carried over a continue-as-new). */
  refs: Map<string, ArtifactRef>;
  options: RunOptions;
  runTask(task: TodoItem, dependencies: ArtifactRef[]): Promise<ArtifactRef | undefined>;
}

/**
 * Runs the TodoList as a DAG: every task starts the moment its last dependency completes, up to
 * `parallelism` at once; a task that does not complete skips its dependents (and with `fail_fast` stops
 * new starts). Past `history_event_limit` events (or when Temporal suggests it) no task starts, and once
 * the running ones end the answer is `drained`: the run must continue as new with its state.
 */
export async function runDag(dag: DagOptions): Promise<{ drained: boolean }> {
  const { list, board, refs, options } = dag;
  const historyLimit = options.history_event_limit ?? 10_000;
  const parallelism = options.parallelism ?? 4;
  const running = new Map<string, Promise<void>>();
  let draining = false;
  let stopStarting = false;

  const launch = (t: TodoItem) => {
    board.start(t.id);
    const job = dag
      .runTask(
        t,
        t.dependencies.map((d) => refs.get(d)!),
      )
      .then((ref) => {
        if (ref) refs.set(t.id, ref);
      })
      .catch((err: unknown) => {
        if (isCancellation(err)) throw err;
        board.fail(t.id, describeFailure(err));
      })
      .finally(() => {
        board.finished(t.id);
        running.delete(t.id);
        const status = board.status(t.id);
        if (status !== 'completed') {
          board.skipDependents(list, t.id, status === 'rejected' ? 'was rejected' : 'failed');
          if (options.fail_fast) stopStarting = true;
        }
      });
    running.set(t.id, job);
  };

  for (;;) {
    if (!draining && (workflowInfo().historyLength > historyLimit || workflowInfo().continueAsNewSuggested)) {
      draining = true;
    }
    if (!stopStarting && !draining) {
      for (const t of list.tasks) {
        if (running.size >= parallelism) break;
        if (!running.has(t.id) && board.isReady(t)) launch(t);
      }
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  return { drained: draining && board.hasPending() };
}
