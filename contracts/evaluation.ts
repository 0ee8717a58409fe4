import { z } from 'zod';
import { RunMode } from './rollout';

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
});
export type EvalRun = z.infer<typeof EvalRun>;

export const EvalModeSummary = z.strictObject({
  mode: RunMode,
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
  build_policy: z.enum(['strict', 'warn']),
  stopped: z.string().nullable(),
  modes: z.record(z.string(), EvalModeSummary),
  problems: z.array(
    z.strictObject({
      task_id: z.string(),
      entry_point: z.string(),
      results: z.record(z.string(), EvalRun),
    }),
  ),
});
export type EvalReport = z.infer<typeof EvalReport>;
