import type {
  ModeFigures,
  RunMode,
  AgentStepInput,
  AgentStepResult,
  ArtifactRef,
  FinishTaskInput,
  IntegrateInput,
  IntegrateResult,
  PlanInput,
  PlanResult,
  PrepareTaskInput,
  RoleActivity,
} from '../contracts';

/**
 * The activities the workflows call, by the task queue that hosts them (contracts/task-queues.ts).
 * Model-bound ones scale with API quotas, sandbox-bound ones with Docker hosts.
 */
/** What a step's own code sees: the base commit is always there (prepared, or given). */
export type StepInput = AgentStepInput & { base: ArtifactRef };

/** One model step of a task's role (contracts/roles.ts names them): the task to a commit. */
export type RoleStepActivities = {
  [A in Exclude<RoleActivity, 'plan'>]: (input: AgentStepInput) => Promise<AgentStepResult>;
};

export interface AgentActivities extends RoleStepActivities {
  /** Request (and a reviewer's feedback) to a checked TodoList, committed. */
  plan(input: PlanInput): Promise<PlanResult>;
  /** Start of a task branch: its dependencies' results merged. */
  prepareTask(input: PrepareTaskInput): Promise<ArtifactRef>;
  /** Task to Contract (interfaces, data models, test skeletons), committed. */
  architect(input: AgentStepInput): Promise<AgentStepResult>;
  /** Contract and task to code and unit tests, committed. With `failing_report_path` (a build report): a fix round. */
  code(input: AgentStepInput): Promise<AgentStepResult>;
  /** A failing test report and the code to a fix, committed. */
  debug(input: AgentStepInput): Promise<AgentStepResult>;
  /** The single agent: the whole request to code and tests (with the failing report from attempt 2 on). */
  singleAgent(input: AgentStepInput): Promise<AgentStepResult>;
  /** Tags the task's final commit. */
  finishTask(input: FinishTaskInput): Promise<ArtifactRef>;
  /** Merges every task's result into the run's integration branch. */
  integrate(input: IntegrateInput): Promise<IntegrateResult>;
}

export interface SandboxActivities {
  /** flake8, mypy --strict and bandit over the task's files; the BuildReport committed; `passed` says if clean. */
  checkBuild(input: AgentStepInput): Promise<AgentStepResult>;
  /** The task's acceptance tests; the TestReport committed as test_report.json; `passed` says if all passed. */
  runTests(input: AgentStepInput): Promise<AgentStepResult>;
}

export interface ModeFiguresInput {
  /** The deployment's runs queue: only its runs count. */
  runs_queue: string;
  window_hours: number;
  /** At least this many ended runs per mode, however old. */
  min_runs: number;
  /** Only runs that ended at or after this instant (a stage's start), however few: the ramp's analysis. */
  since?: string;
}

export interface RolloutActivities {
  /** Both modes' figures from Temporal visibility (search attributes), for the rollout's checks. */
  modeFigures(input: ModeFiguresInput): Promise<Record<RunMode, ModeFigures>>;
}
