import { z } from 'zod';
import { ArtifactRef } from './artifact-metadata';
import { ArtifactPublish, ModelInfo, ModelUsage } from './agent-steps';
import { RunOptions } from './api';
import { Actor, GatePolicy } from './auth';
import { ModeDecision, RunMode } from './rollout';
import { STEP_RECORDS, TASK_ROLES } from './roles';
import { TodoList } from './todo-list';

export const TestSummary = z.strictObject({
  passed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  duration_s: z.number().nonnegative(),
  /** How many distinct tests these figures count (a run: each test once, at its latest outcome). */
  tests: z.number().int().nonnegative().optional(),
});
export type TestSummary = z.infer<typeof TestSummary>;

/** What a run, and each of its tasks, is doing; the names users see (ARCHITECTURE.md). */
export const RunStatus = z.enum([
  'running',
  'awaiting_approval',
  'completed',
  'failed',
  'cancelled',
  'rejected',
]);
export type RunStatus = z.infer<typeof RunStatus>;
export const TaskStatus = z.enum([
  'pending',
  'running',
  'awaiting_approval',
  'completed',
  'failed',
  'skipped',
  'rejected',
  'cancelled',
]);
export type TaskStatus = z.infer<typeof TaskStatus>;

export const RoundRecord = z.strictObject({
  round: z.number().int().nonnegative(),
  agent: z.enum(STEP_RECORDS),
  passed: z.boolean(),
  summary: z.string(),
  commit: z.string().optional(),
  report_path: z.string().optional(),
  at: z.string(),
  /**
   * The step's wall time, from its activity's scheduling to its result: every attempt Temporal made
   * and the waits between them, so a model step that ran away and was retried counts whole.
   */
  seconds: z.number().nonnegative().optional(),
});
export type RoundRecord = z.infer<typeof RoundRecord>;

/**
 * How an Architect step's summary says its contract came on a repair request, and why the first answer
 * was refused (the design evaluation reads the reason from it).
 */
export const ARCHITECT_REFUSED_FIRST = 'accepted on a repair request, the first answer refused: ';

export const TaskProgress = z.strictObject({
  id: z.string(),
  title: z.string(),
  /** The TodoList's role; `single-agent` for the one task of a single-agent run. */
  agent_role: z.enum(TASK_ROLES),
  status: TaskStatus,
  attempts: z.number().int().nonnegative(),
  /** Debugger rounds used. */
  rounds: z.number().int().nonnegative(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  error: z.string().optional(),
  ref: ArtifactRef.optional(),
  history: z.array(RoundRecord),
  /** The task's latest build checks: errors fail it under the strict build policy. */
  build: z
    .strictObject({
      passed: z.boolean(),
      errors: z.number().int().nonnegative(),
      warnings: z.number().int().nonnegative(),
      /** bandit's high-severity findings in the latest build check. */
      security_high: z.number().int().nonnegative().optional(),
      report_path: z.string().optional(),
    })
    .optional(),
  /** The task's latest test totals. */
  test_summary: TestSummary.optional(),
  test_report_path: z.string().optional(),
});
export type TaskProgress = z.infer<typeof TaskProgress>;

/**
 * One thing that happened in a run, in order: what `GET /v1/runs/{id}/events` streams (Server-Sent
 * Events, `id` = `seq`) and the CLI's live view prints. `seq` counts from 1 over the run's whole life
 * (continue-as-new included), so a client that reconnects with `Last-Event-ID` misses nothing.
 */
export const RunEvent = z.strictObject({
  seq: z.number().int().positive(),
  at: z.string(),
  type: z.enum([
    'run_started',
    'plan_ready',
    'gate_opened',
    'gate_decided',
    'task_started',
    'step_finished',
    'task_finished',
    'run_finished',
    'artifacts_published',
  ]),
  /** One line for a person. */
  message: z.string(),
  task_id: z.string().optional(),
  gate_id: z.string().optional(),
  gate_kind: z.enum(['plan', 'task', 'budget']).optional(),
  status: z.string().optional(),
});
export type RunEvent = z.infer<typeof RunEvent>;

/** The run workflow's one input. Exactly one of `request` (planned first) or `todo_list`. */
export const RunInput = z.strictObject({
  run_id: z.string().min(1),
  request: z.string().min(1).optional(),
  todo_list: TodoList.optional(),
  options: RunOptions.default({}),
  /** Which model the workers run, for the progress view and search attributes. */
  model: ModelInfo.optional(),
  /** Who started the run, as authenticated; runs started before identities existed have none. */
  requested_by: Actor.optional(),
  /** How its gates are decided (four eyes, distinct approvers); none: one approval from anyone. */
  gate_policy: GatePolicy.optional(),
  /** The mode the starter decided (and why); runs started before modes existed are crew. */
  mode: ModeDecision.optional(),
  /** The activity task queues, overridable so tests and side-by-side deployments stay apart. */
  task_queues: z.strictObject({ agents: z.string().min(1), sandbox: z.string().min(1) }).optional(),
  /** Set by continue-as-new only: where the previous run of this chain left off. */
  resume: z
    .strictObject({
      generation: z.number().int().positive(),
      todo_list: TodoList,
      tasks: z.array(TaskProgress),
      refs: z.record(z.string(), ArtifactRef),
      usage: ModelUsage,
      usage_by_role: z.record(z.string(), ModelUsage),
      budget_usd: z.number(),
      model: ModelInfo.nullable(),
      test_summary: z.unknown().optional(),
      test_report_path: z.string().nullable().optional(),
      test_outcomes: z.record(z.string(), z.string()).optional(),
      /** Each task's tests at its latest run (a task's newer run replaces its older one). */
      test_outcomes_by_task: z.record(z.string(), z.record(z.string(), z.string())).optional(),
      events: z.array(RunEvent).optional(),
    })
    .optional(),
});
export type RunInput = z.infer<typeof RunInput>;

export const PendingGate = z.strictObject({
  gate_id: z.string(),
  kind: z.enum(['plan', 'task', 'budget']),
  waiting_for: z.string(),
  since: z.string(),
  /** Set when the gate's timeout passed with on_timeout "escalate": it still waits, now flagged. */
  escalated_at: z.string().optional(),
});
export type PendingGate = z.infer<typeof PendingGate>;

/** The progress query's answer: what `GET /v1/runs/{id}` and `devcrew status` show. */
export const RunProgress = z.strictObject({
  run_id: z.string(),
  /** crew or single-agent, decided at start; `mode_reason` says why. */
  mode: RunMode,
  mode_reason: z.string(),
  status: RunStatus,
  request: z.string(),
  todo_list_id: z.string().nullable(),
  tasks: z.array(TaskProgress),
  pending_gates: z.array(PendingGate),
  usage: ModelUsage,
  /** The same, per agent role (planner, architect, coder, debugger). */
  usage_by_role: z.record(z.string(), ModelUsage),
  budget_usd: z.number(),
  model: ModelInfo.nullable(),
  error: z.string().optional(),
  /** The plan as the Planner made it (or as given): what a person approves at the plan gate. */
  plan: TodoList.nullable(),
  /** The newest event's `seq` (the events themselves: the events query, or the result). */
  last_event_seq: z.number().int().nonnegative(),
});
export type RunProgress = z.infer<typeof RunProgress>;

export const RunResult = RunProgress.extend({
  artifacts: z
    .strictObject({
      branch: z.string(),
      commit: z.string(),
      files: z.array(z.string()),
      /** Where the run was published, or why it could not be (the run's result stays in the store). */
      publish: ArtifactPublish.optional(),
    })
    .nullable(),
  /** The test totals over every task's latest tests (each task's own are in `tasks[].test_summary`). */
  test_summary: TestSummary.nullable(),
  /** The report of the tests that ran last. */
  test_report_path: z.string().nullable(),
  /** The run's events (the newest 1,000). */
  events: z.array(RunEvent),
});
export type RunResult = z.infer<typeof RunResult>;

/** A person's decision at a gate, by Update or Signal. */
export const GateDecision = z.strictObject({
  gate_id: z.string().min(1),
  decision: z.enum(['approve', 'reject']),
  approver: z.string().trim().min(1, 'name who decides'),
  comment: z.string().optional(),
  /** Budget gates: the new budget in USD when approving. */
  budget_usd: z.number().positive().optional(),
  /** Who decided, as authenticated (name, role, credential id): recorded in the run's history. */
  by: Actor.optional(),
});
export type GateDecision = z.infer<typeof GateDecision>;

export const GateOutcome = z.strictObject({
  gate_id: z.string(),
  /** `pending`: an approval was counted, and the gate policy needs more distinct approvers. */
  outcome: z.enum(['approved', 'rejected', 'pending']),
  approver: z.string(),
  decided_at: z.string(),
  /** Under a policy of several approvers: who approved so far, and how many are needed. */
  approvals: z.array(z.string()).optional(),
  approvals_needed: z.number().int().optional(),
});
export type GateOutcome = z.infer<typeof GateOutcome>;

/**
 * A running run that cannot answer because no worker runs: what it last recorded in its search
 * attributes, flagged so nobody mistakes it for live progress.
 */
export interface LastKnownRun {
  run_id: string;
  mode: RunMode | null;
  status: string;
  request: string | null;
  todo_list_id: string | null;
  workers_down: true;
  message: string;
  result: null;
}

/** A gate decision sent while no worker could apply it: durable, applied when workers return. */
export interface GateRecorded {
  gate_id: string;
  decision: 'approve' | 'reject';
  status: 'recorded';
  message: string;
}

/** One line of `GET /v1/runs`: what visibility knows without asking the run. */
export const RunSummary = z.strictObject({
  run_id: z.string(),
  mode: RunMode.nullable(),
  /** devcrew's status (the DevcrewStatus search attribute), or Temporal's when the run set none. */
  status: z.string(),
  temporal_status: z.string(),
  request: z.string().nullable(),
  /** Set when the run ended (the DevcrewCostUsd search attribute). */
  cost_usd: z.number().nullable(),
  /** Set when the run ended (DevcrewFixIterations): Debugger rounds, or single-agent attempts after the first. */
  fix_iterations: z.number().nullable(),
  started_at: z.string(),
  closed_at: z.string().nullable(),
});
export type RunSummary = z.infer<typeof RunSummary>;

/**
 * Set in `GET /v1/runs/{id}` while a step waits out model provider errors (429, 5xx, timeouts, cut
 * connections) within DEVCREW_MODEL_RETRY_WINDOW_SECONDS: the step that has waited longest.
 */
export const ProviderWait = z.strictObject({
  kind: z.literal('model_provider'),
  /** The waiting activity, e.g. `code`. */
  activity: z.string(),
  /** When the step's first attempt was scheduled. */
  since: z.string(),
  /** Attempts that failed so far. */
  attempts: z.number().int().positive(),
  /** The provider's last error, e.g. "[MODEL_UNAVAILABLE] Gemini (...) failed (500): ...". */
  last_error: z.string(),
  next_attempt_at: z.string().nullable(),
  /** How many steps of the run wait for the provider now. */
  steps_waiting: z.number().int().positive(),
});
export type ProviderWait = z.infer<typeof ProviderWait>;

/**
 * `GET /v1/runs/{id}` and `devcrew status`: the progress (and once finished, the result); a run that
 * failed before it could answer shows its status and error only.
 */
export type RunView =
  | (RunProgress & { result: RunResult | null; waiting_for?: ProviderWait | null })
  | LastKnownRun
  | { run_id: string; mode: RunMode | null; status: 'failed' | 'cancelled'; error: string; result: null };
