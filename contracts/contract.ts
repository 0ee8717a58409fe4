import { z } from 'zod';

export const Method = z.strictObject({
  name: z.string().min(1).describe('Method name, exactly as the code must spell it.'),
  signature: z
    .string()
    .min(1)
    .describe('Full signature with type annotations, e.g. "def signal(self, prices: list[float]) -> int".'),
  description: z.string().default('').describe('What the method does, its parameters and its result.'),
});
export type Method = z.infer<typeof Method>;

export const Interface = z.strictObject({
  name: z.string().min(1).describe('Exact class or function name.'),
  type: z
    .enum(['class', 'function', 'protocol', 'module', 'constant'])
    .describe('What kind of thing this is.'),
  signature: z.string().min(1).describe('Declaration line, e.g. "class SmaCrossover:".'),
  methods: z.array(Method).default([]).describe('Public methods (empty for a function).'),
  description: z.string().default('').describe('Responsibility and an example of use.'),
});
export type Interface = z.infer<typeof Interface>;

export const DataModel = z.strictObject({
  name: z.string().min(1),
  fields: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        type: z.string().min(1).describe('Type annotation, e.g. "float" or "list[Trade]".'),
        description: z.string().default(''),
      }),
    )
    .default([]),
  description: z.string().default(''),
});
export type DataModel = z.infer<typeof DataModel>;

export const TestSkeleton = z.strictObject({
  path: z.string().min(1).describe('Relative path of the test file, e.g. "tests/test_sma_strategy.py".'),
  content: z.string().describe('Test code the Coder must make pass.'),
});
export type TestSkeleton = z.infer<typeof TestSkeleton>;

/** The Architect's output: the machine-readable interface a Coder implements and a Tester checks. */
export const Contract = z.strictObject({
  contract_id: z.string().min(1),
  task_id: z.string().min(1),
  language: z.string().default('python').describe('Implementation language.'),
  interfaces: z.array(Interface).min(1, 'a contract defines at least one interface'),
  data_models: z.array(DataModel).default([]),
  test_skeletons: z.array(TestSkeleton).default([]),
});
export type Contract = z.infer<typeof Contract>;
