import { ArtifactStoreError } from './errors';

/**
 * Where a run's results live in Git.
 *
 * ARCHITECTURE.md names task branches `ai/generated/{run_id}/{task_id}` and the integration branch
 * `ai/generated/{run_id}`, but Git cannot hold both a ref `a/b` and a ref `a/b/c` (a ref is a file,
 * and `a/b` would also have to be a folder). devcrew keeps the task branches exactly as the migration
 * plan names them and puts the integration branch beside them at `ai/generated/{run_id}/_integration`:
 * a task id must start with a letter or digit (contracts/todo-list.ts), so `_integration` can never clash
 * with a task, and `git branch --list 'ai/generated/{run_id}/*'` shows a whole run.
 */
export const INTEGRATION_NAME = '_integration';

/** A ref-safe id: letters, digits, `_`, `-`, `.`, starting with a letter or digit (TodoItem ids qualify). */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;

export function checkId(kind: 'run_id' | 'task_id', id: string): void {
  if (!SAFE_ID.test(id) || id.includes('..') || id.endsWith('.lock') || id.endsWith('.')) {
    throw new ArtifactStoreError(
      'INVALID_ARTIFACT_ID',
      `${kind} ${JSON.stringify(id)} cannot be part of a Git branch name`,
      'use 1-200 letters, digits, "_", "-" and "." starting with a letter or digit, without ".." or a ".lock"/"." ending',
    );
  }
}

/** `ai/generated/{run_id}/{task_id}`: the branch holding one task's outputs. */
export function taskBranch(runId: string, taskId: string): string {
  checkId('run_id', runId);
  checkId('task_id', taskId);
  return `ai/generated/${runId}/${taskId}`;
}

/** `ai/generated/{run_id}/_integration`: every task's result merged at the end of a run. */
export function integrationBranch(runId: string): string {
  checkId('run_id', runId);
  return `ai/generated/${runId}/${INTEGRATION_NAME}`;
}

/** The folder of refs holding one run's branches. */
export function runBranchPrefix(runId: string): string {
  checkId('run_id', runId);
  return `ai/generated/${runId}/`;
}

/** `workflow_{run_id}_{task_id}`: the tag on a task's final commit. */
export function taskTag(runId: string, taskId: string): string {
  checkId('run_id', runId);
  checkId('task_id', taskId);
  return `workflow_${runId}_${taskId}`;
}
