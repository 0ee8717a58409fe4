import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openArtifactStore } from '../../artifacts';
import { BuildReport, TestReport } from '../../contracts';
import { startTestStack, type TestStack } from '../support/stack';

/**
 * Honest verdicts through the real workflow, the real Docker sandbox (flake8, mypy --strict, bandit,
 * pytest) and Git: a pass only when every check ran to completion and passed. The agents' answers are
 * the scripted recordings `models/doubles/recordings/verdicts-*.json`.
 */
const TOKEN = 'verdicts-e2e-token-77aa';
let t: TestStack;
let stateDir: string;
let api: string;

before(async () => {
  t = await startTestStack({ prefix: 'verdicts-e2e-', token: TOKEN });
  ({ stateDir, api } = t);
});
after(async () => t?.stop());

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API bodies are read field by field
type Json = Record<string, any>;

async function http(method: string, url: string, body?: unknown) {
  const res = await fetch(`${api}${url}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

/** A one-task plan: a Coder task with the given acceptance tests, for the recording of `request`. */
function plan(request: string, tests: { cmd: string; timeout_seconds?: number }[]) {
  return {
    todo_list_id: `todo_${request.replace(/\W+/g, '_').toLowerCase()}`,
    request,
    tasks: [
      {
        id: 'task_coder_001',
        title: request,
        description: 'as recorded',
        agent_role: 'coder',
        acceptance_criteria: { tests },
        timeout_seconds: 300,
        max_retries: 1,
      },
    ],
  };
}

async function run(
  request: string,
  tests: { cmd: string; timeout_seconds?: number }[],
  options: Json = {},
): Promise<Json> {
  return runOf({ todo_list: plan(request, tests), options: { mode: 'crew', ...options } });
}

/** A run started over HTTP, to its end. */
async function runOf(body: Json): Promise<Json> {
  const started = await http('POST', '/v1/runs', body);
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const deadline = Date.now() + 240_000;
  for (;;) {
    const r = await http('GET', `/v1/runs/${started.body.run_id}`);
    if (!['running', 'awaiting_approval'].includes(r.body.status)) return r.body;
    if (Date.now() > deadline) throw new Error(`run did not end: ${JSON.stringify(r.body).slice(0, 2000)}`);
    await new Promise((res) => setTimeout(res, 300));
  }
}

/** A crew run of a recording's own request (one function's stub, so the plan is the rule's). */
async function runRecorded(recording: string): Promise<Json> {
  const { request } = (await import(`../../models/doubles/recordings/${recording}.json`)).default as {
    request: string;
  };
  return runOf({ request, options: { mode: 'crew', gates: { plan: false } } });
}

const store = () => openArtifactStore({ repoDir: path.join(stateDir, 'artifacts') });
/** A commit's subject in the run's artifact repository. */
const subjectOf = (commit: string) =>
  execFileSync('git', ['-C', path.join(stateDir, 'artifacts'), 'log', '-1', '--format=%s', commit], {
    encoding: 'utf8',
  }).trim();
/** The test report a step of a task's history committed. */
const testReportOf = async (h: Json) =>
  TestReport.parse(JSON.parse(await (await store()).readFile(h.commit, h.report_path)));
/** A task whose tests failed once and passed after the Debugger's first round. */
const FIXED_IN_ONE_ROUND = [
  'coder:ok',
  'build-checker:ok',
  'tester:fail',
  'debugger#1:ok',
  'build-checker#1:ok',
  'tester#1:ok',
];
/** A task's step by its agent and round (0: before any Debugger round). */
const stepOf = (task: Json, agent: string, round: number) =>
  task.history.find((h: Json) => h.agent === agent && (h.round ?? 0) === round);
const steps = (task: Json) =>
  task.history.map((h: Json) => `${h.agent}${h.round ? `#${h.round}` : ''}:${h.passed ? 'ok' : 'fail'}`);

test(
  'code that stays mypy --strict-dirty: strict fails the task BUILD_FAILED with the findings; standard and warn complete and report them',
  { timeout: 300_000 },
  async () => {
    const tests = [{ cmd: 'pytest -q tests/test_dirty.py' }];
    const strict = await run('Verdicts: code that stays mypy-dirty', tests, { build_policy: 'strict' });
    assert.equal(strict.status, 'failed');
    const task = strict.tasks[0];
    assert.deepEqual(steps(task), [
      'coder:ok',
      'build-checker:fail',
      'coder:ok',
      'build-checker:fail',
      'coder:ok',
      'build-checker:fail',
    ]);
    // The code's finding fails the build; the test's own (calling the untyped function) is a warning:
    // a test is judged by running it.
    assert.match(task.error, /^\[BUILD_FAILED\] 1 build error\(s\) left after 2 fix round\(s\)/);
    assert.match(task.error, /mypy no-untyped-def codes\/dirty\.py:4: Function is missing a type annotation/);
    assert.doesNotMatch(task.error, /tests\/test_dirty\.py/);
    assert.equal(task.build.errors, 1);
    assert.equal(task.build.warnings, 1);

    const warn = await run('Verdicts: code that stays mypy-dirty', tests, {
      build_policy: 'warn',
      build_fix_rounds: 1,
    });
    assert.equal(warn.status, 'completed', JSON.stringify(warn).slice(0, 2000));
    assert.equal(warn.test_summary.passed, 1);

    // The default, standard: a missing annotation is what only --strict's completeness flags find, a
    // warning that costs no fix round; the task goes on to its tests.
    const standard = await run('Verdicts: code that stays mypy-dirty', tests);
    assert.equal(standard.status, 'completed', JSON.stringify(standard).slice(0, 2000));
    const done = standard.tasks[0];
    assert.deepEqual(steps(done), ['coder:ok', 'build-checker:ok', 'tester:ok']);
    assert.deepEqual(done.build, {
      passed: true,
      errors: 0,
      warnings: 2,
      report_path: 'reports/task_coder_001/build_report.json',
    });
    const buildStep = done.history.filter((h: Json) => h.agent === 'build-checker').at(-1);
    const report = BuildReport.parse(
      JSON.parse(await (await store()).readFile(buildStep.commit, buildStep.report_path)),
    );
    assert.deepEqual(
      report.findings.map((f) => `${f.tool} ${f.code} ${f.severity} ${f.path}`),
      ['mypy no-untyped-def warning codes/dirty.py', 'mypy no-untyped-call warning tests/test_dirty.py'],
    );
    assert.match(report.findings[0]!.message, /an error under build_policy strict/);
    assert.equal(standard.test_summary.passed, 1);
  },
);

test(
  'a lint tool that crashed is an error finding with its own output, never "clean"',
  { timeout: 300_000 },
  async () => {
    const done = await run('Verdicts: a crashed lint tool', [{ cmd: 'pytest -q tests/test_dirty.py' }], {
      build_fix_rounds: 0,
    });
    assert.equal(done.status, 'failed');
    const task = done.tasks[0];
    assert.match(task.error, /BUILD_FAILED/);
    assert.match(task.error, /flake8 TOOL_ERROR : flake8 exited 1 without findings it could read/);
    const step = task.history.find((h: Json) => h.agent === 'build-checker');
    const report = BuildReport.parse(
      JSON.parse(await (await store()).readFile(step.commit, step.report_path)),
    );
    assert.equal(report.passed, false);
    const crash = report.findings.find((f) => f.tool === 'flake8')!;
    assert.match(
      crash.message,
      /ValueError: invalid literal for int\(\) with base 10: 'abc'/,
      "the evidence is flake8's own",
    );
    assert.ok(
      report.findings.every((f) => f.tool === 'flake8'),
      'mypy and bandit ran clean',
    );
  },
);

test(
  'a test with an endless loop is a failure with evidence for the Debugger, who fixes it; the run completes',
  { timeout: 300_000 },
  async () => {
    const done = await run('Verdicts: an endless loop', [
      { cmd: 'pytest -q tests/test_loop.py', timeout_seconds: 8 },
    ]);
    assert.equal(done.status, 'completed', JSON.stringify(done).slice(0, 3000));
    const task = done.tasks[0];
    assert.deepEqual(steps(task), FIXED_IN_ONE_ROUND);
    const first = task.history[2];
    const report = await testReportOf(first);
    const hung = report.cases.find((c) => c.status === 'failed')!;
    assert.equal(hung.name, 'tests/test_loop.py::test_counts_down', 'the test that hung is named');
    assert.match(
      hung.message!,
      /\[SANDBOX_TIMEOUT\] "pytest -q tests\/test_loop.py" ran \d+ s, its limit while tests\/test_loop.py::test_counts_down was running/,
    );
    assert.ok(hung.duration_s >= 7);
    assert.equal(done.test_summary.passed, 1);
  },
);

test(
  'a memory blow-up is a failure with evidence for the Debugger, who fixes it; the run completes',
  { timeout: 300_000 },
  async () => {
    const done = await run('Verdicts: a memory blow-up', [{ cmd: 'pytest -q tests/test_memory.py' }]);
    assert.equal(done.status, 'completed', JSON.stringify(done).slice(0, 3000));
    const task = done.tasks[0];
    assert.deepEqual(steps(task), FIXED_IN_ONE_ROUND);
    const first = task.history[2];
    const report = await testReportOf(first);
    const blown = report.cases.find((c) => c.status === 'failed')!;
    assert.equal(blown.name, 'tests/test_memory.py::test_window_sums');
    assert.match(
      blown.message!,
      /\[SANDBOX_OOM\] "pytest -q tests\/test_memory.py" ran out of memory \(limit 2048 MiB(, peak \d+ MiB)?\)/,
    );
  },
);

test(
  'a plan asking for a 3,600 s test gets the sandbox cap, and the report says so',
  { timeout: 300_000 },
  async () => {
    const done = await run('Verdicts: a test that asks for an hour', [
      { cmd: 'pytest -q tests/test_dirty.py', timeout_seconds: 3600 },
    ]);
    assert.equal(done.status, 'completed', JSON.stringify(done).slice(0, 2000));
    const tests = done.tasks[0].history.find((h: Json) => h.agent === 'tester');
    assert.match(tests.summary, /asked for 3600 s; the sandbox caps a command at 300 s/);
    const report = await testReportOf(tests);
    assert.deepEqual(report.notes, [
      '"pytest -q tests/test_dirty.py" asked for 3600 s; the sandbox caps a command at 300 s (an operator raises the cap with DEVCREW_SANDBOX_MAX_TIMEOUT_SECONDS)',
    ]);
  },
);

test(
  'no tests, no pass: a plan without tests is refused with 400, and tests that collect nothing fail',
  { timeout: 300_000 },
  async () => {
    const refused = await http('POST', '/v1/runs', { todo_list: plan('Verdicts: no tests collected', []) });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body.error.problems, [
      {
        path: 'todo_list.tasks[0].acceptance_criteria.tests',
        message:
          'task "task_coder_001" (coder) has no acceptance tests, so it could never pass; add at least one, e.g. {"cmd": "pytest -q tests"}',
      },
    ]);

    const done = await run('Verdicts: no tests collected', [{ cmd: 'pytest -q tests/test_empty.py' }], {
      max_debug_rounds: 0,
    });
    assert.equal(done.status, 'failed');
    assert.match(done.tasks[0].error, /TESTS_FAILED/);
    const tests = done.tasks[0].history.find((h: Json) => h.agent === 'tester');
    const report = await testReportOf(tests);
    assert.deepEqual(report.summary, {
      passed: 0,
      failed: 0,
      skipped: 0,
      errors: 1,
      duration_s: report.summary.duration_s,
    });
    assert.match(report.cases[0]!.message!, /^\[NO_TESTS\] pytest collected no tests/);
  },
);

test(
  'tests that contradict each other are named in the test report; the Debugger, told so, fixes the test and the run completes',
  { timeout: 300_000 },
  async () => {
    // The recording's Debugger answers only a prompt that carries the Tester's note.
    const done = await run('Verdicts: tests that contradict each other', [{ cmd: 'pytest -q tests' }]);
    assert.equal(done.status, 'completed', JSON.stringify(done).slice(0, 3000));
    const task = done.tasks[0];
    assert.deepEqual(steps(task), FIXED_IN_ONE_ROUND);
    const first = task.history[2];
    const report = await testReportOf(first);
    assert.deepEqual(report.notes, [
      "tests/test_sma.py: test_rising_prices_buy (line 5) expects signal([1.0, 2.0, 3.0, 4.0]) == 'buy' and test_falling_prices_sell (line 9) expects signal([1.0, 2.0, 3.0, 4.0]) == 'sell' after the same steps. They cannot both pass, so at least one expected value is wrong: work it out by hand from the task and fix that test",
    ]);
    // A failing case also says which lines of codes/ ran last, down to the value returned.
    const failed = report.cases.find((c) => c.status === 'failed')!;
    assert.equal(failed.name, 'test_falling_prices_sell');
    assert.match(
      failed.message!,
      /The last lines of codes\/ that ran in this test:\n {2}codes\/sma\.py:4: called signal\(prices=\[1\.0, 2\.0, 3\.0, 4\.0\]\)\n[\s\S]*codes\/sma\.py:7: returned 'buy'/,
    );
    const last = stepOf(task, 'tester', 1);
    const fixed = await testReportOf(last);
    assert.deepEqual(fixed.notes, [], 'the fixed tests contradict nothing');
    assert.equal(done.test_summary.passed, 2);
  },
);

test(
  'after two Debugger rounds that leave as many failing tests, the third writes the task anew; the old failing test file goes',
  { timeout: 300_000 },
  async () => {
    const done = await run('Verdicts: a task written anew after rounds without progress', [
      { cmd: 'pytest -q tests' },
    ]);
    assert.equal(done.status, 'completed', JSON.stringify(done).slice(0, 3000));
    const task = done.tasks[0];
    assert.deepEqual(steps(task), [
      'coder:ok',
      'build-checker:ok',
      'tester:fail',
      'debugger#1:ok',
      'build-checker#1:ok',
      'tester#1:fail',
      'debugger#2:ok',
      'build-checker#2:ok',
      'tester#2:fail',
      'debugger#3:ok',
      'build-checker#3:ok',
      'tester#3:ok',
    ]);
    const s = await store();
    const anew = stepOf(task, 'debugger', 3);
    const subject = subjectOf(anew.commit);
    assert.equal(subject, 'Fix task_coder_001 anew (round 3): 2 file(s)');
    const files = await s.listFiles(stepOf(task, 'tester', 3).commit);
    assert.ok(files.includes('tests/test_second.py'), files.join(', '));
    assert.ok(!files.includes('tests/test_first.py'), 'the failing test file written before is gone');
    // The run's figures are its last tests: the removed file's failing test no longer counts.
    const { tests, passed, failed, errors } = done.test_summary;
    assert.deepEqual({ tests, passed, failed, errors }, { tests: 2, passed: 2, failed: 0, errors: 0 });
  },
);

test(
  'a Debugger that gave its files back unchanged is asked for the task anew in every later round, with no patch call first',
  { timeout: 300_000 },
  async () => {
    // The recording's Debugger copies its files whenever it is shown them ("Current files:").
    const done = await run('Verdicts: a Debugger that gives its files back', [{ cmd: 'pytest -q tests' }]);
    assert.equal(done.status, 'completed', JSON.stringify(done).slice(0, 3000));
    const task = done.tasks[0];
    assert.deepEqual(steps(task), [
      'coder:ok',
      'build-checker:ok',
      'tester:fail',
      'debugger#1:ok',
      'build-checker#1:ok',
      'tester#1:fail',
      'debugger#2:ok',
      'build-checker#2:ok',
      'tester#2:ok',
    ]);
    const subjects = [1, 2].map((round) => subjectOf(stepOf(task, 'debugger', round).commit));
    assert.deepEqual(subjects, [
      'Fix task_coder_001 anew (round 1): 1 file(s)',
      'Fix task_coder_001 anew (round 2): 2 file(s)',
    ]);
    // Round 1: the copy, then the task anew; round 2: anew at once.
    assert.equal(done.usage_by_role.debugger.calls, 3);
  },
);

test(
  "a stub answered with its code alone is judged by the request's examples: no Debugger round to add a test file",
  { timeout: 300_000 },
  async () => {
    // The request is one function's stub, so the plan is the rule's; the recorded Coder gives no test.
    const done = await runRecorded('verdicts-code-alone');
    assert.equal(done.status, 'completed', JSON.stringify(done).slice(0, 3000));
    const coder = done.tasks.find((t: Json) => t.id === 'code_double');
    assert.deepEqual(steps(coder), ['coder:ok', 'build-checker:ok', 'tester:ok']);
    const report = await testReportOf(coder.history[2]);
    assert.deepEqual(
      report.cases.map((c) => [c.classname, c.status]),
      [
        ['tests.test_request_examples', 'passed'],
        ['tests.test_request_examples', 'passed'],
      ],
    );
  },
);

test(
  'a stub whose Debugger rounds keep a wrong approach gets a second, independent answer in the first round written anew, and passes',
  { timeout: 300_000 },
  async () => {
    // Recorded: the first answer and two Debugger patches split even and odd positions (as the local
    // 1.5B model did on HumanEval/5); told what failed, the Debugger writes the split again. Only the
    // Coder asked the request alone (its prompt ends with the no-contract line) writes the loop.
    const done = await runRecorded('verdicts-second-answer');
    assert.equal(done.status, 'completed', JSON.stringify(done).slice(0, 3000));
    const coder = done.tasks.find((t: Json) => t.id === 'code_interleave');
    // Three rounds, the tests failing after the first two and passing after the third.
    const rounds = [1, 2, 3].flatMap((r) => [
      `debugger#${r}:ok`,
      `build-checker#${r}:ok`,
      `tester#${r}:${r < 3 ? 'fail' : 'ok'}`,
    ]);
    assert.deepEqual(steps(coder), ['coder:ok', 'build-checker:ok', 'tester:fail', ...rounds]);
    const third = stepOf(coder, 'debugger', 3);
    assert.equal(subjectOf(third.commit), 'Fix code_interleave, a second answer (round 3): 1 file(s)');
    assert.match(third.summary, /^a second answer \(the Coder's prompt, the request alone\)/);
    const code = await (await store()).readFile(third.commit, 'codes/interleave.py');
    assert.match(code, /for i, x in enumerate\(xs\)/);
  },
);
