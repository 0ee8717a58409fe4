import { z } from 'zod';
import { ArtifactRef } from './artifact-metadata';
import { Finding } from './build-report';
import { MODEL_ROLES } from './roles';
import { TodoItem, TodoList } from './todo-list';

/**
 * The inputs and results of the agent activities the workflows call. Content lives in the artifact
 * store (Git); these carry references (branches, commits, paths) and small summaries only.
 */

/** Who asks a model: the scripted model replays per role, prompts are versioned per role. */
export const ModelRole = z.enum(MODEL_ROLES);
export type ModelRole = z.infer<typeof ModelRole>;

/**
 * The model providers, listed once: `local` (a code model on this machine, served by llama.cpp; the
 * default), the hosted `gemini` and `openai`, and `scripted`, the replaying test double. What each does
 * is in models/providers.ts.
 */
export const MODEL_PROVIDERS = ['local', 'gemini', 'openai', 'scripted'] as const;
export const ModelProvider = z.enum(MODEL_PROVIDERS);
export type ModelProvider = z.infer<typeof ModelProvider>;

/** Which model answered; `scripted` is the replaying test double and is always shown as such. */
export const ModelInfo = z.strictObject({
  provider: ModelProvider,
  name: z.string().min(1),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

/**
 * What the model calls of a step (or a run) used and cost. Every billed token is here: `output_tokens` is
 * the visible answer, `thought_tokens` the thinking or reasoning the provider bills at the output rate on
 * top of it, `cached_input_tokens` the part of `input_tokens` read from the provider's prompt cache (billed
 * at the cache rate where the price table has one). `unpriced_calls` counts calls whose model has no price
 * in the price table: their tokens are here but not in `cost_usd`. The last three are absent (0) in usages
 * recorded before they existed.
 */
export const ModelUsage = z.strictObject({
  calls: z.number().int().nonnegative(),
  cache_hits: z.number().int().nonnegative(),
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  thought_tokens: z.number().int().nonnegative().optional(),
  cached_input_tokens: z.number().int().nonnegative().optional(),
  cost_usd: z.number().nonnegative(),
  unpriced_calls: z.number().int().nonnegative().optional(),
  /** Seconds spent waiting for billed model answers (a local model's cost is its time). */
  model_seconds: z.number().nonnegative().optional(),
});
export type ModelUsage = z.infer<typeof ModelUsage>;

/**
 * Identifies the run an agent works for. The run id is the Temporal workflow id, the `{run_id}` of the
 * Git branches and tags, and the `devcrew.run` label of sandbox containers; in commit provenance it
 * fills the migration plan's `workflow_id` and `correlation_id` fields.
 */
export const StepContext = z.strictObject({
  run_id: z.string().min(1),
});
export type StepContext = z.infer<typeof StepContext>;

export const PlanInput = StepContext.extend({
  request: z.string().min(1),
  /** A reviewer's comment on a rejected plan, to plan again with. */
  feedback: z.string().optional(),
  previous_todo_list_id: z.string().optional(),
});
export type PlanInput = z.infer<typeof PlanInput>;

export const PlanResult = z.strictObject({
  todo_list: TodoList,
  /** The plan as committed to the artifact store. */
  ref: ArtifactRef,
  model: ModelInfo,
  usage: ModelUsage,
});
export type PlanResult = z.infer<typeof PlanResult>;

/** Merges the results of a task's dependencies into the start of its own branch. */
export const PrepareTaskInput = StepContext.extend({
  task_id: z.string().min(1),
  dependency_refs: z.array(ArtifactRef),
});
export type PrepareTaskInput = z.infer<typeof PrepareTaskInput>;

export const AgentStepInput = StepContext.extend({
  /** The run's request in the person's words (TodoList.request); the scripted model replays by it. */
  request: z.string().optional(),
  task: TodoItem,
  /** The commit the agent starts from: the task branch's head. */
  base: ArtifactRef.optional(),
  /**
   * The task's first step starts the task branch itself, from its dependencies' results (an idempotent
   * merge), instead of a separate store step: one activity fewer per task.
   */
  prepare: z.strictObject({ dependency_refs: z.array(ArtifactRef) }).optional(),
  /** The task's last step, if it passes, also tags its commit as the task's final one. */
  finish: z.boolean().optional(),
  /** Debugger rounds: which round this is (1-based) and the test report that failed. */
  round: z.number().int().positive().optional(),
  failing_report_path: z.string().optional(),
  /**
   * Debugger rounds: write the task's files anew, without the current ones (told what failed), because
   * the last two rounds left as many failing tests as before them.
   */
  anew: z.boolean().optional(),
  /**
   * With `anew`, on a request for one function its examples test: a second, independent answer instead
   * of a repair. The Coder's general prompt, given the request alone (neither the failing files nor
   * their report), so it does not start from the approach that failed.
   */
  second_answer: z.boolean().optional(),
  /** The crew's Tester also runs the request's own examples (`>>> call` and its value) as tests. */
  spec_examples: z.boolean().optional(),
  /**
   * The crew's Tester also names tests that contradict each other (activities/test-contradictions.ts)
   * and, for a failing test, the lines of codes/ that ran last (activities/test-trail.ts).
   */
  evidence: z.boolean().optional(),
  /** Build checks: what only mypy --strict's completeness flags find is an error too (build_policy strict). */
  strict_types: z.boolean().optional(),
});
export type AgentStepInput = z.infer<typeof AgentStepInput>;

export const AgentStepResult = z.strictObject({
  /** The commit holding this step's output (on the task branch). */
  ref: ArtifactRef,
  model: ModelInfo.optional(),
  usage: ModelUsage,
  /** One line for the progress view, e.g. "3 files, flake8 clean, mypy 2 errors fixed". */
  summary: z.string(),
  /** Coder: did lint, type and security checks pass; Tester: did every acceptance test pass. */
  passed: z.boolean(),
  /** The step was asked to finish the task and did: `ref` is the tagged final commit. */
  finished: z.boolean().optional(),
  /** Coder and Debugger: the model gave the files back unchanged, so the step wrote them anew. */
  copied: z.boolean().optional(),
  /** Path (in `ref`) of the build or test report, if the step made one. */
  report_path: z.string().optional(),
  /** Build checks only: the error findings (at most 20), for a BUILD_FAILED message and the next fix. */
  findings: z.array(Finding).optional(),
  /** Build checks only: how many findings of each severity. */
  finding_counts: z.strictObject({ errors: z.number().int(), warnings: z.number().int() }).optional(),
  /** Tester only: pytest's totals. */
  test_summary: z
    .strictObject({
      passed: z.number().int().nonnegative(),
      failed: z.number().int().nonnegative(),
      skipped: z.number().int().nonnegative(),
      errors: z.number().int().nonnegative(),
      duration_s: z.number().nonnegative(),
    })
    .optional(),
  /** Tester only: each test's outcome by its id (`classname::name`), so a run counts every test once. */
  test_outcomes: z.record(z.string(), z.enum(['passed', 'failed', 'skipped', 'error'])).optional(),
});
export type AgentStepResult = z.infer<typeof AgentStepResult>;

export const FinishTaskInput = StepContext.extend({ task_id: z.string().min(1), ref: ArtifactRef });
export type FinishTaskInput = z.infer<typeof FinishTaskInput>;

/** A person's part in a run, for the integration commit's trailers: a name and a credential id. */
export const Signature = z.strictObject({
  /** `requested` (started the run), or a gate decision: `approve plan`, `reject task-a`. */
  act: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
  credential_id: z.string().min(1).max(400),
});
export type Signature = z.infer<typeof Signature>;

export const IntegrateInput = StepContext.extend({
  task_refs: z.array(ArtifactRef),
  /** The run's `options.push`: publish to the configured URL (true), to this URL, or not at all (false). */
  push: z.union([z.boolean(), z.string()]).optional(),
  /** Who asked for the run and decided its gates, as authenticated (runs started by a person). */
  signatures: z.array(Signature).optional(),
});
export type IntegrateInput = z.infer<typeof IntegrateInput>;

/**
 * A run published to the team's repository (DEVCREW_ARTIFACTS_PUSH_URL or `options.push`): which refs went
 * where, or why not after every attempt. A failed publish never fails the run: its result stays in the store.
 */
export const ArtifactPublish = z.strictObject({
  url: z.string(),
  status: z.enum(['pushed', 'failed']),
  refs: z.array(z.string()),
  attempts: z.number().int().positive(),
  error: z.string().optional(),
});
export type ArtifactPublish = z.infer<typeof ArtifactPublish>;

export const IntegrateResult = z.strictObject({
  branch: z.string(),
  commit: z.string(),
  files: z.array(z.string()),
  publish: ArtifactPublish.optional(),
});
export type IntegrateResult = z.infer<typeof IntegrateResult>;
