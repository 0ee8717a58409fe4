import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes every devcrew run sets, so the Web UI and `GET /v1/runs` can find runs by
 * what they are. The embedded server registers them at start; a production namespace needs them once
 * (`temporal operator search-attribute create`).
 */
export const RUN_STATUS = defineSearchAttributeKey('DevcrewStatus', SearchAttributeType.KEYWORD);
export const TODO_LIST_ID = defineSearchAttributeKey('DevcrewTodoListId', SearchAttributeType.KEYWORD);
export const REQUEST = defineSearchAttributeKey('DevcrewRequest', SearchAttributeType.TEXT);
export const TASK_COUNT = defineSearchAttributeKey('DevcrewTaskCount', SearchAttributeType.INT);
export const MODEL_PROVIDER = defineSearchAttributeKey('DevcrewModelProvider', SearchAttributeType.KEYWORD);
/** crew or single-agent: filterable in the Web UI (`DevcrewMode = "crew"`), and the rollout's figures. */
export const MODE = defineSearchAttributeKey('DevcrewMode', SearchAttributeType.KEYWORD);
/** Set when a run ends: what it cost and how many repair rounds it took, for the per-mode figures. */
export const COST_USD = defineSearchAttributeKey('DevcrewCostUsd', SearchAttributeType.DOUBLE);
export const FIX_ITERATIONS = defineSearchAttributeKey('DevcrewFixIterations', SearchAttributeType.INT);
/** Set when a run ends: high-severity security findings in code it integrated, and sandbox limits it broke. */
export const SECURITY_INCIDENTS = defineSearchAttributeKey(
  'DevcrewSecurityIncidents',
  SearchAttributeType.INT,
);

export const SEARCH_ATTRIBUTES = [
  RUN_STATUS,
  TODO_LIST_ID,
  REQUEST,
  TASK_COUNT,
  MODEL_PROVIDER,
  MODE,
  COST_USD,
  FIX_ITERATIONS,
  SECURITY_INCIDENTS,
] as const;
