import { z } from 'zod';
import { RequestedMode } from './rollout';
import { parsePath } from './problems';
import { checkTodoListSemantics, TodoList } from './todo-list';

/**
 * The HTTP API's request bodies (`server/`), also what `devcrew run` sends. Responses are the run
 * contracts (`contracts/run.ts`).
 */

/**
 * A per-run publishing target: a network URL (https, ssh, git, or scp-like `user@host:path`) without a
 * password, which would be kept in the run's history. Local paths are for the workers' own setting only.
 */
const PushUrl = z
  .string()
  .max(2000)
  .refine((u) => /^(https?|ssh|git):\/\/[^\s]+$/.test(u) || /^[\w.-]+@[\w.-]+:[^\s]+$/.test(u), {
    message: 'expected an https, ssh or git URL (or user@host:path)',
  })
  .refine((u) => !/^[a-z]+:\/\/[^/@\s]*:[^/@\s]*@/i.test(u), {
    message: 'must not hold a password or token: the workers take credentials from their environment',
  });

/**
 * What the Coder's build checks decide. standard (the default): an error finding left after the build-fix
 * rounds fails the task (BUILD_FAILED), and what only `mypy --strict`'s completeness flags find (a missing
 * annotation, a generic without its parameters, Any returned, a call into untyped code) is a warning;
 * strict: those fail the task too; warn: nothing fails, every finding stays in the report and the result.
 */
export const BuildPolicy = z
  .enum(['standard', 'strict', 'warn'])
  .describe(
    "standard (default): lint, type and security errors left after the build-fix rounds fail the task (BUILD_FAILED); what only mypy --strict's completeness flags find (missing annotations, bare generics, Any returned) is a warning. strict: those fail too. warn: go on, the findings stay in the report and the result.",
  );
export type BuildPolicy = z.infer<typeof BuildPolicy>;

export const RunOptions = z.strictObject({
  mode: RequestedMode.optional(),
  max_attempts: z
    .number()
    .int()
    .min(1)
    .max(10)
    .optional()
    .describe('Single agent: attempts at code that passes its tests (default 5, the migration plan).'),
  budget_usd: z
    .number()
    .positive()
    .max(1000)
    .optional()
    .describe('Spending limit for the run (default 1.00).'),
  parallelism: z.number().int().min(1).max(64).optional().describe('How many tasks may run at once.'),
  gates: z
    .strictObject({
      plan: z.boolean().optional().describe('Ask a person to approve the plan before any task runs.'),
      tasks: z.boolean().optional().describe("Honour the tasks' requires_approval flags (default true)."),
      timeout_seconds: z
        .number()
        .int()
        .positive()
        .optional()
        .describe('How long a gate waits for a decision.'),
      on_timeout: z
        .enum(['approve', 'reject', 'escalate'])
        .optional()
        .describe(
          'What a gate does when nobody decides in time (default reject); escalate keeps it open, marked escalated.',
        ),
    })
    .optional(),
  max_replans: z
    .number()
    .int()
    .min(0)
    .max(5)
    .optional()
    .describe('Plans made again after a rejection (default 2).'),
  max_debug_rounds: z.number().int().min(0).max(10).optional(),
  build_policy: BuildPolicy.optional(),
  build_fix_rounds: z
    .number()
    .int()
    .min(0)
    .max(5)
    .optional()
    .describe("Coder rounds given the build checks' exact findings (default 2 under strict, 0 under warn)."),
  history_event_limit: z
    .number()
    .int()
    .min(500)
    .max(40_000)
    .optional()
    .describe(
      'Continue as new once the history has this many events (default 10,000; the dev server caps at 51,200).',
    ),
  fail_fast: z.boolean().optional(),
  push: z
    .union([z.boolean(), PushUrl])
    .optional()
    .describe(
      "Publish the finished run's branches and tags: true to the workers' DEVCREW_ARTIFACTS_PUSH_URL, a URL for this run, false not at all (default: when the URL is set).",
    ),
});
export type RunOptions = z.infer<typeof RunOptions>;

export const StartRunRequest = z
  .strictObject({
    request: z.string().trim().min(1).max(10_000).optional().describe('What to build, in plain words.'),
    todo_list: TodoList.optional().describe('A ready plan: skips the Planner.'),
    options: RunOptions.optional(),
  })
  .refine((b) => (b.request === undefined) !== (b.todo_list === undefined), {
    message: 'give exactly one of "request" (to plan) or "todo_list" (a ready plan)',
    path: ['request'],
  })
  .superRefine((b, ctx) => {
    // The same checks as `devcrew validate`: a plan the workflow would refuse is refused here, with 400.
    if (!b.todo_list) return;
    for (const p of checkTodoListSemantics(b.todo_list)) {
      ctx.addIssue({ code: 'custom', path: ['todo_list', ...parsePath(p.path)], message: p.message });
    }
  });
export type StartRunRequest = z.infer<typeof StartRunRequest>;

export const GateDecisionRequest = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  /** Ignored: the decision is recorded under the authenticated caller. Kept so older clients still work. */
  approver: z.string().max(200).optional(),
  comment: z.string().max(10_000).optional(),
  budget_usd: z
    .number()
    .positive()
    .max(1000)
    .optional()
    .describe('Budget gates: the new budget when approving.'),
});
export type GateDecisionRequest = z.infer<typeof GateDecisionRequest>;
