/**
 * The agent roles, each declared once, in the order the Planner's prompt lists them (the most used
 * first: a small model leans to the first role it reads). The contracts (the TodoList's `agent_role`, the model roles, a
 * task's history), the prompts, the task pipeline (workflows/task-pipeline.ts) and the metrics' labels
 * read this table; adding a role is an entry here, its prompt and its activity.
 *
 * No zod here: workflow code reads it, and every new workflow evaluates the modules it imports.
 */

/**
 * What a task of a role does, in order (workflows/task-pipeline.ts runs them):
 * - `write`: the role's model activity once (the task's last step if nothing follows);
 * - `build-checks`: flake8, mypy, bandit over the task's files, with build-fix rounds by the same activity;
 * - `test-and-debug`: the acceptance tests, then Debugger rounds until they pass.
 */
export type TaskStep = 'write' | 'build-checks' | 'test-and-debug';

export interface RoleSpec {
  /** For people: activity summaries on the Web UI's timeline, e.g. "Coder: task_coder_001". */
  title: string;
  /** The versioned system prompt, `prompts/<file>`, for roles that call a model. */
  prompt?: string;
  /**
   * The prompt of the role's first answer to a request that is one function stub tested by its own
   * examples (the crew's Tester writes those tests from the request): one job, the function.
   */
  functionPrompt?: string;
  /**
   * The agents queue's activity that asks the model for this role; activities/types.ts derives the
   * activity's signature from it (the Planner's `plan` has its own).
   */
  activity?: string;
  /** Whether the role asks a model (and so has a prompt, a recording per request, an output cap). */
  callsModel: boolean;
  /** Whether the Planner may give a task this role (a TodoList's `agent_role`). */
  inTodoList: boolean;
  /** What the Planner's prompt says of the role (its `{{roles}}` list), for roles in a TodoList. */
  forPlanner?: string;
  /** Whether a task's progress can carry this role (`TaskProgress.agent_role`). */
  ownsTask: boolean;
  /** A TodoList task's steps; empty for roles that run outside the task pipeline. */
  steps: readonly TaskStep[];
  /** The Debugger's own task: its write step counts as round 1. */
  writeRound?: number;
  /** The names a task's history records this role's steps by (`RoundRecord.agent`). */
  records: readonly string[];
  /** The `role` label of the activity metrics. */
  metricsLabel: string;
  /** Output cap per call on the local model, in tokens (a runaway answer is cut early and asked again). */
  localOutputTokens?: number;
}

export const ROLES = {
  planner: {
    title: 'Planner',
    prompt: 'planner.md',
    activity: 'plan',
    callsModel: true,
    inTodoList: false,
    ownsTask: false,
    steps: [],
    records: [],
    metricsLabel: 'planner',
    localOutputTokens: 1200,
  },
  coder: {
    title: 'Coder',
    prompt: 'coder.md',
    // On the local 1.5B model, the Coder's first code for HumanEval's stubs passed the hidden check on 26
    // of 41 problems against 28 for the same model asked once with the single agent's shorter prompt.
    functionPrompt: 'coder-function.md',
    activity: 'code',
    callsModel: true,
    inTodoList: true,
    forPlanner: 'writes code and its unit tests, then passes the build checks and its tests',
    ownsTask: true,
    steps: ['write', 'build-checks', 'test-and-debug'],
    records: ['coder', 'build-checker'],
    metricsLabel: 'coder',
    localOutputTokens: 2000,
  },
  tester: {
    title: 'Tester',
    callsModel: false,
    inTodoList: true,
    forPlanner: 'runs acceptance tests on the code of the tasks it depends on',
    ownsTask: true,
    steps: ['test-and-debug'],
    records: ['tester'],
    metricsLabel: 'tester',
  },
  architect: {
    title: 'Architect',
    prompt: 'architect.md',
    activity: 'architect',
    callsModel: true,
    inTodoList: true,
    forPlanner:
      'only when several modules must agree on interfaces: writes their contract (interfaces, data models, test skeletons)',
    ownsTask: true,
    steps: ['write'],
    records: ['architect'],
    metricsLabel: 'architect',
    localOutputTokens: 1600,
  },
  debugger: {
    title: 'Debugger',
    prompt: 'debugger.md',
    activity: 'debug',
    callsModel: true,
    inTodoList: true,
    forPlanner: 'repairs failing tests; do not plan it: it is called on its own when tests fail',
    ownsTask: true,
    steps: ['write', 'test-and-debug'],
    writeRound: 1,
    records: ['debugger'],
    metricsLabel: 'debugger',
    localOutputTokens: 1600,
  },
  'single-agent': {
    title: 'Single agent',
    prompt: 'single-agent.md',
    activity: 'singleAgent',
    callsModel: true,
    inTodoList: false,
    ownsTask: true,
    steps: [],
    records: ['single-agent'],
    metricsLabel: 'single-agent',
    localOutputTokens: 1600,
  },
} as const satisfies Record<string, RoleSpec>;

type Roles = typeof ROLES;
export type RoleName = keyof Roles;
/** The roles whose entry has `K` set to `V`. */
type RolesWhere<K extends keyof RoleSpec, V> = {
  [R in RoleName]: Roles[R] extends Record<K, V> ? R : never;
}[RoleName];
type Tuple<T> = readonly [T, ...T[]];

/** The roles' model activities by name (`code`, `debug`, ...), the Planner's `plan` among them. */
export type RoleActivity = { [R in RoleName]: Roles[R] extends { activity: infer A } ? A : never }[RoleName];

/** Every role, in the table's order. */
export const ROLE_NAMES = Object.keys(ROLES) as unknown as Tuple<RoleName>;

function rolesWhere<K extends keyof RoleSpec, V extends RoleSpec[K]>(key: K, value: V) {
  return ROLE_NAMES.filter((r) => (ROLES[r] as RoleSpec)[key] === value) as unknown as Tuple<
    RolesWhere<K, V>
  >;
}

/** The roles a TodoList's task may have. */
export const TODO_ROLES = rolesWhere('inTodoList', true);
/** The roles that ask a model. */
export const MODEL_ROLES = rolesWhere('callsModel', true);
/** The roles a task's progress can show. */
export const TASK_ROLES = rolesWhere('ownsTask', true);
/** The names of the steps in a task's history. */
export const STEP_RECORDS = ROLE_NAMES.flatMap((r) => ROLES[r].records) as unknown as Tuple<
  Roles[RoleName]['records'][number]
>;
/** The metrics' `role` label values. */
export const ROLE_LABELS = ROLE_NAMES.map((r) => ROLES[r].metricsLabel) as unknown as Tuple<
  Roles[RoleName]['metricsLabel']
>;
