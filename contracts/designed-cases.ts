import { z } from 'zod';

/**
 * The crew's Tester as a test designer (AgentCoder's): for a request that is one function stub, cases
 * written from the request alone, before and without the code. Each is a call with literal arguments
 * and the value it must give, both as Python writes them; devcrew writes the test file from them.
 */
export const DesignedCase = z.strictObject({
  /** e.g. `pluck([1, 3, 5])` */
  call: z.string().min(1).max(400),
  /** e.g. `[]`, `'abc'`, `True`, `(1, 2)` */
  expected: z.string().min(1).max(400),
});
export type DesignedCase = z.infer<typeof DesignedCase>;

export const DesignedCases = z.strictObject({
  cases: z.array(DesignedCase).max(8),
});
export type DesignedCases = z.infer<typeof DesignedCases>;
