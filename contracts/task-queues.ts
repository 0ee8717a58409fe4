/**
 * The task queues, defined once. Each kind of worker polls one (ARCHITECTURE.md, "two kinds of workers"):
 * the run workflows are light decisions, model-bound activities scale with API quotas, sandbox-bound
 * activities with Docker hosts. Pure data: workflow code imports it.
 */
export const TASK_QUEUES = {
  /** The run workflows themselves. */
  runs: 'devcrew-runs',
  /** Planner, Architect, Coder, Debugger, the single agent, and the artifact store's merges and tags. */
  agents: 'devcrew-agents',
  /** Build checks (flake8, mypy, bandit) and acceptance tests in the Docker sandbox. */
  sandbox: 'devcrew-sandbox',
} as const;

/** One deployment's queue names. */
export interface TaskQueues {
  runs: string;
  agents: string;
  sandbox: string;
}

/** The queue names with a prefix, so several deployments (or tests) can share one Temporal namespace. */
export function taskQueues(prefix = ''): TaskQueues {
  return {
    runs: `${prefix}${TASK_QUEUES.runs}`,
    agents: `${prefix}${TASK_QUEUES.agents}`,
    sandbox: `${prefix}${TASK_QUEUES.sandbox}`,
  };
}
