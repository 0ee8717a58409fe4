import { z } from 'zod';

export const TestCase = z.strictObject({
  name: z.string().min(1),
  classname: z.string().default(''),
  status: z.enum(['passed', 'failed', 'skipped', 'error']),
  duration_s: z.number().nonnegative().default(0),
  message: z.string().optional().describe('Failure or error message, when there is one.'),
});
export type TestCase = z.infer<typeof TestCase>;

/** The Tester's verdict on a task: pytest's outcome per case, totals and coverage. */
export const TestReport = z.strictObject({
  summary: z.strictObject({
    passed: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    skipped: z.number().int().nonnegative(),
    errors: z.number().int().nonnegative(),
    duration_s: z.number().nonnegative(),
  }),
  cases: z.array(TestCase).default([]),
  coverage_percent: z.number().min(0).max(100).nullable().default(null),
  /** What a reader must know about how the tests ran, e.g. a time limit the sandbox capped. */
  notes: z.array(z.string()).default([]),
});
export type TestReport = z.infer<typeof TestReport>;
