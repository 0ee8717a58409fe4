import { z } from 'zod';
import { RunMode } from './rollout';
import { BuildPolicy } from './api';

/** What the hidden tests said of one run's final code. Only `passed` is a pass. */
export const HiddenVerdict = z.enum([
  /** check() ran to completion in the sandbox and passed. */
  'passed',
  /** check() failed, raised, timed out or ran out of memory. */
  'failed',
  /** The final code has no importable function of that name. */
  'no_function',
  /** The run did not complete, so there was no final code to test. */
  'run_failed',
  /** The sandbox could not run the hidden tests (twice). */
  'not_run',
]);
export type HiddenVerdict = z.infer<typeof HiddenVerdict>;

/** One problem in one mode. */
export const EvalRun = z.strictObject({
  run_id: z.string().nullable(),
  web_ui: z.string().nullable(),
  /** The run's own final status (completed, failed, ...), or "not_started" when the budget ran out. */
  status: z.string(),
  hidden: HiddenVerdict.or(z.literal('not_started')),
  passed: z.boolean(),
  /** Why it failed, in a line: the run's error or the hidden test's last output. */
  detail: z.string(),
  seconds: z.number().nonnegative(),
  cost_usd: z.number().nonnegative(),
  model_calls: z.number().int().nonnegative(),
  fix_iterations: z.number().int().nonnegative(),
  /** The run's own tests and the hidden tests, in the sandbox. */
  sandbox_seconds: z.number().nonnegative(),
  /** Time the model spent answering (0 for the test double and cached answers). */
  model_seconds: z.number().nonnegative().default(0),
  /** The run's wall time split: model, sandbox, and the rest (Temporal, Git, devcrew's own). */
  time_split: z
    .strictObject({ model: z.number(), sandbox: z.number(), other: z.number() })
    .default({ model: 0, sandbox: 0, other: 0 }),
  input_tokens: z.number().int().nonnegative().default(0),
  output_tokens: z.number().int().nonnegative().default(0),
  /** The run's own last test verdict (its Tester), null when no test ran. */
  own_tests_passed: z.boolean().nullable().default(null),
  /** Its code's tests passed at the first run, before any fix round; null when no test ran. */
  first_try_passed: z.boolean().nullable().default(null),
  /** Crew: the Architect's contract accepted first time; null without an Architect task. */
  contract_first_try: z.boolean().nullable().default(null),
  /**
   * The hidden check of the code the run's first test ran against (the crew's Coder's first code after
   * its build checks' autofix, the single agent's first attempt): where the fix rounds started from,
   * beside the model alone. Null when no test ran, and for a row scored before it was kept. A
   * single-shot row's one code is its first (`hidden`).
   */
  first_code_hidden: HiddenVerdict.nullable().default(null),
  /** The hidden check of the last code the run wrote, also when the run failed (for the Tester's accuracy). */
  last_code_hidden: HiddenVerdict.or(z.literal('not_started')).nullable().default(null),
  /**
   * The module the hidden check imported (`codes/humaneval_<n>.py`) as it was scored, so the verdict
   * can be checked again independently (`devcrew eval --verify`); null when there was none, or for a row
   * scored before the code was kept.
   */
  code: z.string().nullable().default(null),
  /**
   * The devcrew code the row ran on: its checkout's commit, with `+changes` when the work tree differed
   * from it; null when unknown (not a Git checkout, or a row scored before this was recorded).
   */
  devcrew: z.string().nullable().optional(),
});
export type EvalRun = z.infer<typeof EvalRun>;

/** The two ways of working, and the model alone: one call, no tests, no fix round (the floor). */
export const EvalMode = z.enum([...RunMode.options, 'single-shot']);
export type EvalMode = z.infer<typeof EvalMode>;

export const EvalModeSummary = z.strictObject({
  mode: EvalMode,
  problems: z.number().int().nonnegative(),
  /** Problems whose hidden tests passed over problems asked: 0 to 1. */
  pass_at_1: z.number().min(0).max(1),
  passed: z.number().int().nonnegative(),
  /** Runs that completed (their own tests passed), whatever the hidden tests said. */
  completed: z.number().int().nonnegative(),
  median_seconds: z.number().nullable(),
  p90_seconds: z.number().nullable(),
  mean_cost_usd: z.number().nullable(),
  mean_model_calls: z.number().nullable(),
  mean_fix_iterations: z.number().nullable(),
  sandbox_seconds: z.number().nonnegative(),
  /** The 95% Wilson interval of pass@1. */
  pass_at_1_interval: z.tuple([z.number(), z.number()]).optional(),
  mean_model_seconds: z.number().nullable().optional(),
  mean_input_tokens: z.number().nullable().optional(),
  mean_output_tokens: z.number().nullable().optional(),
  /**
   * The first tested code passing the hidden check, over the runs that kept its verdict (see
   * EvalRun.first_code_hidden): what a mode's first answer is worth before any fix round.
   */
  first_code_pass_rate: z.number().nullable().optional(),
  /** How many runs the first-code rate is over. */
  first_code_runs: z.number().int().nonnegative().optional(),
});
export type EvalModeSummary = z.infer<typeof EvalModeSummary>;

/** `devcrew eval --json` and `report.json`. */
export const EvalReport = z.strictObject({
  suite: z.string(),
  /** Which model answered, as the runs say; a test double is named as one. */
  model: z.string(),
  /** Set when a test double answered: these figures test the harness, they are not a score. */
  double: z.boolean(),
  note: z.string(),
  started_at: z.string(),
  wall_seconds: z.number().nonnegative(),
  build_policy: BuildPolicy,
  stopped: z.string().nullable(),
  modes: z.record(z.string(), EvalModeSummary),
  /**
   * The migration plan's success criteria, each from the runs' own records (null when no run gave it):
   * the Architect's contract accepted first time, the Coder's tests passing before any Debugger round,
   * the crew's Tester's verdict agreeing with the hidden check (both ways; beside it, the same for the
   * single agent's own tests, which no Tester wrote), crew/single-agent time per problem,
   * the crew's cost per run, and what its tokens would cost on the catalog's default Gemini model.
   */
  criteria: z
    .strictObject({
      valid_contract_rate: z.number().nullable(),
      coder_first_try_pass_rate: z.number().nullable(),
      tester_accuracy: z.number().nullable(),
      single_agent_tests_accuracy: z.number().nullable().optional(),
      time_ratio_median: z.number().nullable(),
      time_ratio_p90: z.number().nullable(),
      cost_per_run_usd: z.number().nullable(),
      cost_per_run_usd_on_gemini: z.number().nullable(),
    })
    .optional(),
  /** The model alone on the same problems: the floor both modes must beat. */
  single_shot: z.strictObject({ pass_at_1: z.number(), passed: z.number(), problems: z.number() }).optional(),
  /**
   * Two modes on the same problems, paired: how many problems only one of them passed, and the exact
   * two-sided McNemar p-value of that split (the chance of a split at least this uneven if neither mode
   * were better). One mode above the other by a few problems is noise when p is large.
   */
  paired: z
    .array(
      z.strictObject({
        a: z.string(),
        b: z.string(),
        problems: z.number().int().nonnegative(),
        both: z.number().int().nonnegative(),
        only_a: z.number().int().nonnegative(),
        only_b: z.number().int().nonnegative(),
        neither: z.number().int().nonnegative(),
        p_value: z.number().min(0).max(1),
      }),
    )
    .optional(),
  /** Runs scored so far of those planned: a report written while the evaluation runs is partial. */
  progress: z.strictObject({ done: z.number().int(), planned: z.number().int() }).optional(),
  problems: z.array(
    z.strictObject({
      task_id: z.string(),
      entry_point: z.string(),
      results: z.record(z.string(), EvalRun),
    }),
  ),
});
export type EvalReport = z.infer<typeof EvalReport>;

/**
 * One design request of `devcrew eval --suite design`: a crew run whose ready plan is one Architect
 * task, so the Architect's contract is measured on its own (HumanEval's one-function problems never
 * plan one).
 */
export const DesignRun = z.strictObject({
  id: z.string(),
  run_id: z.string(),
  web_ui: z.string().nullable(),
  status: z.string(),
  /** The run completed on the Architect's first answer: one model call, one step, its contract kept. */
  contract_first_try: z.boolean(),
  /** The Architect's model calls (a repair of an answer that did not fit the schema is a second). */
  architect_calls: z.number().int().nonnegative(),
  /** The contract's interface names, or the run's error when it failed. */
  detail: z.string(),
  /** Why the Architect's first answer was refused, when a repair request was needed (rows before it: absent). */
  refused: z.string().nullable().optional(),
  seconds: z.number().nonnegative(),
  model_seconds: z.number().nonnegative(),
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  devcrew: z.string().nullable().optional(),
});
export type DesignRun = z.infer<typeof DesignRun>;

export const DesignReport = z.strictObject({
  suite: z.literal('design'),
  model: z.string(),
  double: z.boolean(),
  started_at: z.string(),
  /** Contracts accepted first time over requests run: the plan's "Architect valid contracts > 90%". */
  valid_contract_rate: z.number().nullable(),
  valid_contract_interval: z.tuple([z.number(), z.number()]),
  accepted: z.number().int().nonnegative(),
  requests: z.number().int().nonnegative(),
  median_seconds: z.number().nullable(),
  progress: z.strictObject({ done: z.number().int(), planned: z.number().int() }),
  runs: z.array(z.strictObject({ id: z.string(), request: z.string(), run: DesignRun.nullable() })),
});
export type DesignReport = z.infer<typeof DesignReport>;
