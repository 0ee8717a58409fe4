import { ArtifactStoreError } from './errors';

/**
 * Where a run's results live in Git.
 *
 * ARCHITECTURE.md names task branches `ai/generated/{workflow_id}/{task_id}` and the integration branch
 * `ai/generated/{workflow_id}`, but Git cannot hold both a ref `a/b` and a ref `a/b/c` (a ref is a file,
 * and `a/b` would also have to be a folder). devcrew keeps the task branches exactly as the migration
 * plan names them and puts the integration branch beside them at `ai/generated/{workflow_id}/_integration`:
 * a task id must start with a letter or digit (contracts/todo-list.ts), so `_integration` can never clash
 * with a task, and `git branch --list 'ai/generated/{workflow_id}/*'` shows a whole run.
 */
export const INTEGRATION_NAME = '_integration';

/** A ref-safe id: letters, digits, `_`, `-`, `.`, starting with a letter or digit (TodoItem ids qualify). */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;

export function checkId(kind: 'workflow_id' | 'task_id', id: string): void {
  if (!SAFE_ID.test(id) || id.includes('..') || id.endsWith('.lock') || id.endsWith('.')) {
    throw new ArtifactStoreError(
      'INVALID_ARTIFACT_ID',
      `${kind} ${JSON.stringify(id)} cannot be part of a Git branch name`,
      'use 1-200 letters, digits, "_", "-" and "." starting with a letter or digit, without ".." or a ".lock"/"." ending',
    );
  }
}

/** `ai/generated/{workflow_id}/{task_id}`: the branch holding one task's outputs. */
export function taskBranch(workflowId: string, taskId: string): string {
  checkId('workflow_id', workflowId);
  checkId('task_id', taskId);
  return `ai/generated/${workflowId}/${taskId}`;
}

/** `ai/generated/{workflow_id}/_integration`: every task's result merged at the end of a run. */
export function integrationBranch(workflowId: string): string {
  checkId('workflow_id', workflowId);
  return `ai/generated/${workflowId}/${INTEGRATION_NAME}`;
}

/** The folder of refs holding one run's branches. */
export function runBranchPrefix(workflowId: string): string {
  checkId('workflow_id', workflowId);
  return `ai/generated/${workflowId}/`;
}

/** `workflow_{workflow_id}_{task_id}`: the tag on a task's final commit. */
export function taskTag(workflowId: string, taskId: string): string {
  checkId('workflow_id', workflowId);
  checkId('task_id', taskId);
  return `workflow_${workflowId}_${taskId}`;
}
