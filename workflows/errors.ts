/**
 * Failure types no retry can fix: bad input, a refused model answer, a spent budget, a conflict in the
 * artifact store, a sandbox limit hit by the code itself. Decided here once for every activity.
 */
export const NON_RETRYABLE_ERROR_TYPES = [
  'INVALID_TODO_LIST',
  'INVALID_AGENT_OUTPUT',
  'BUDGET_EXCEEDED',
  'MODEL_BAD_REQUEST',
  'MODEL_SAFETY_BLOCK',
  'ARTIFACT_CONFLICT',
  'INVALID_ARTIFACT_PATH',
  'INVALID_ARTIFACT_ID',
  'INVALID_ARTIFACT_METADATA',
  'ARTIFACT_TOO_LARGE',
  'ARTIFACT_NOT_TEXT',
  'ARTIFACT_CONTAINS_SECRET',
  'ARTIFACT_NOT_FOUND',
  'SANDBOX_TIMEOUT',
  'SANDBOX_OOM',
];
