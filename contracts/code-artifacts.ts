import { z } from 'zod';

export const SourceFile = z.strictObject({
  path: z.string().min(1).describe('Relative POSIX path inside the project, e.g. "codes/sma_strategy.py".'),
  content: z.string().describe('Complete file content.'),
});
export type SourceFile = z.infer<typeof SourceFile>;

/** The Coder's (or Debugger's) output: whole files, code and tests apart. */
export const CodeArtifacts = z.strictObject({
  task_id: z.string().min(1),
  files: z
    .array(SourceFile)
    .min(1, 'code artifacts hold at least one file')
    .describe('Implementation files.'),
  tests: z.array(SourceFile).default([]).describe('Unit test files.'),
  notes: z.string().default('').describe('Decisions and limits a reviewer should know.'),
});
export type CodeArtifacts = z.infer<typeof CodeArtifacts>;

/** Files a model gave as text (FILE: blocks), as CodeArtifacts: those under tests/ are the tests. */
export function codeArtifactsOf(
  taskId: string,
  files: { path: string; content: string }[],
): z.input<typeof CodeArtifacts> {
  return {
    task_id: taskId,
    files: files.filter((f) => !f.path.startsWith('tests/')),
    tests: files.filter((f) => f.path.startsWith('tests/')),
    notes: '',
  };
}
