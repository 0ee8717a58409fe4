import { z } from 'zod';

export const BuildTool = z.enum(['flake8', 'mypy', 'bandit', 'black']);
export type BuildTool = z.infer<typeof BuildTool>;

export const Finding = z.strictObject({
  tool: BuildTool,
  path: z.string(),
  line: z.number().int().nonnegative(),
  column: z.number().int().nonnegative().optional(),
  code: z.string().describe('The tool\'s rule id, e.g. "E501", "arg-type", "B101".'),
  severity: z.enum(['error', 'warning', 'info']),
  message: z.string(),
});
export type Finding = z.infer<typeof Finding>;

export const ToolRun = z.strictObject({
  tool: BuildTool,
  exit_code: z.number().int().nullable(),
  status: z.enum(['ok', 'failed', 'timeout', 'oom', 'killed', 'output_limit', 'sandbox_error']),
  duration_ms: z.number().nonnegative(),
});
export type ToolRun = z.infer<typeof ToolRun>;

/** What lint, type checking and the security scan said about the Coder's files. */
export const BuildReport = z.strictObject({
  task_id: z.string().min(1),
  passed: z.boolean(),
  tools: z.array(ToolRun),
  findings: z.array(Finding),
  autofixed: z
    .array(
      z.strictObject({
        path: z.string(),
        line: z.number().int().nonnegative(),
        code: z.string(),
        change: z.string(),
      }),
    )
    .optional()
    .describe('Findings repaired without the model (an unused import, a test without -> None) before these.'),
});
export type BuildReport = z.infer<typeof BuildReport>;
