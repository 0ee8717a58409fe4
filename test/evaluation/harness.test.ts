import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { EvalRun, type RunEvent, type RunView, type StartRunRequest } from '../../contracts';
import { codeVersion } from '../../evaluation/code-version';
import {
  criteria,
  evaluate,
  paired,
  stepSpans,
  summarize,
  type EvalDeps,
  type EvalOptions,
} from '../../evaluation/harness';
import { markdownReport } from '../../evaluation/report';
import { evalRun } from '../support/eval-runs';
import type { HumanEvalProblem } from '../../models/humaneval';
import { ModelError } from '../../models/types';
import type { RunsService } from '../../server/runs-service';

/**
 * The harness's arithmetic and its budget cap, over runs kept in memory (the real stack's side is in
 * eval.test.ts): every problem counts, a run that never started or failed is a fail, the cap stops
 * new runs and says so.
 */
const problem = (n: number): HumanEvalProblem => ({
  task_id: `HumanEval/${n}`,
  prompt: `def f${n}(x):\n    """>>> f${n}(1)\n    1\n    """\n`,
  entry_point: `f${n}`,
  canonical_solution: '    return x\n',
  test: 'def check(candidate):\n    assert candidate(2) == 2\n',
});

/** The crew alone, one run at a time, on these problems. */
const crewOnly = (problems: HumanEvalProblem[]): EvalOptions => ({
  problems,
  modes: ['crew'],
  concurrency: 1,
  runBudgetUsd: 1,
  buildPolicy: 'warn',
  suite: 'test',
});

function fakeRuns(outcome: (request: string) => { status: 'completed' | 'failed'; cost: number }) {
  const started: StartRunRequest[] = [];
  const views = new Map<string, RunView>();
  const runs = {
    async start(body: StartRunRequest) {
      started.push(body);
      const run_id = `run-${started.length}`;
      const o = outcome(body.request!);
      views.set(run_id, {
        run_id,
        mode: body.options!.mode as 'crew',
        status: o.status,
        usage: { calls: 3, cache_hits: 1, cost_usd: o.cost },
        // The Coder's tests failed once, the Debugger fixed (or not), the tests ran again.
        tasks: [
          {
            rounds: 1,
            agent_role: 'coder',
            status: o.status,
            history: [
              { agent: 'coder', passed: true, commit: `w1-${run_id}`, at: '1' },
              { agent: 'tester', passed: false, at: '2' },
              { agent: 'debugger', passed: true, commit: `w2-${run_id}`, at: '3' },
              { agent: 'tester', passed: o.status === 'completed', at: '4' },
            ],
          },
        ],
        model: { provider: 'gemini', name: 'gemini-3.8-flash' },
        result: {
          artifacts: o.status === 'completed' ? { commit: `c-${run_id}`, branch: 'b' } : null,
          test_summary: { duration_s: 2 },
        },
        ...(o.status === 'failed' ? { error: 'task_coder_001: failed (TESTS_FAILED)' } : {}),
      } as unknown as RunView);
      return { run_id, mode: body.options!.mode as 'crew' };
    },
    async get(id: string) {
      return views.get(id)!;
    },
    async *events(): AsyncIterable<RunEvent> {
      yield { seq: 1, at: '', type: 'run_finished', message: 'done' } as RunEvent;
    },
  } as unknown as RunsService;
  return { runs, started };
}

test('pass@1 counts only hidden passes; failed runs and wrong code are fails; figures are the runs own', async () => {
  const { runs } = fakeRuns((r) => ({
    status: r.startsWith('HumanEval/2') ? 'failed' : 'completed',
    cost: 0.01,
  }));
  const deps: EvalDeps = {
    runs,
    readFiles: async () => [{ path: 'codes/x.py', content: '' }],
    score: async (p) => ({
      verdict: p.task_id === 'HumanEval/1' ? 'failed' : 'passed',
      detail: p.task_id === 'HumanEval/1' ? 'AssertionError' : 'hidden tests passed',
      seconds: 0.5,
    }),
  };
  const report = await evaluate(deps, {
    problems: [problem(0), problem(1), problem(2)],
    modes: ['crew', 'single-agent'],
    concurrency: 2,
    runBudgetUsd: 1,
    buildPolicy: 'warn',
    suite: 'test',
  });
  for (const mode of ['crew', 'single-agent']) {
    const s = report.modes[mode]!;
    assert.deepEqual([s.problems, s.passed, s.completed, s.pass_at_1], [3, 1, 2, 0.3333]);
    assert.equal(s.mean_cost_usd, 0.01);
    assert.equal(s.mean_model_calls, 4, 'calls and cache hits');
    assert.equal(s.mean_fix_iterations, 1);
    assert.equal(s.sandbox_seconds, 2 * 3 + 0.5 * 2, "the runs' tests and the two scorings");
  }
  const row = (id: string) => report.problems.find((p) => p.task_id === id)!.results.crew!;
  assert.deepEqual([row('HumanEval/1').hidden, row('HumanEval/1').passed], ['failed', false]);
  assert.deepEqual([row('HumanEval/2').hidden, row('HumanEval/2').status], ['run_failed', 'failed']);
  assert.match(row('HumanEval/2').detail, /TESTS_FAILED/);
  assert.equal(report.double, false);
  assert.equal(report.model, 'gemini/gemini-3.8-flash');
  // The plan's criteria from the runs' records: no first-try pass; the Tester agreed with the hidden
  // check on HumanEval/0 only (it passed code the check fails on /1, and failed code the check passes on /2).
  assert.equal(report.criteria!.coder_first_try_pass_rate, 0);
  assert.equal(report.criteria!.tester_accuracy, 0.3333);
  assert.equal(report.criteria!.valid_contract_rate, null, 'no Architect task, no figure');
  assert.equal(row('HumanEval/2').last_code_hidden, 'passed', "the failed run's last code was checked");
  assert.equal(row('HumanEval/2').passed, false, 'and still counts as a fail');
  assert.match(markdownReport(report).split('\n')[0]!, /^> Answers by gemini\/gemini-3\.8-flash/);
  assert.deepEqual(
    report.paired,
    [{ a: 'crew', b: 'single-agent', problems: 3, both: 1, only_a: 0, only_b: 0, neither: 2, p_value: 1 }],
    'the same verdicts in both modes: no problem split them',
  );
});

test("the Tester's accuracy is the crew's Tester against the hidden check; the single agent's own tests are a figure beside it", () => {
  const run = (own: boolean, lastCode: 'passed' | 'failed') =>
    evalRun({
      status: own ? 'completed' : 'failed',
      hidden: own ? lastCode : 'run_failed',
      passed: own && lastCode === 'passed',
      seconds: 10,
      sandbox_seconds: 1,
      own_tests_passed: own,
      last_code_hidden: lastCode,
    });
  // The crew's Tester: right on both problems (passed good code, failed wrong code). The single agent's
  // own tests: passed wrong code on one, failed good code on the other, right on none.
  const c = criteria([
    { results: { crew: run(true, 'passed'), 'single-agent': run(true, 'failed') } },
    { results: { crew: run(false, 'failed'), 'single-agent': run(false, 'passed') } },
  ]);
  assert.equal(c.tester_accuracy, 1);
  assert.equal(c.single_agent_tests_accuracy, 0);
});

test('--budget caps the whole evaluation: no run starts once the runs so far cost that much, and the report says so', async () => {
  const { runs, started } = fakeRuns(() => ({ status: 'completed', cost: 0.6 }));
  const report = await evaluate(
    {
      runs,
      readFiles: async () => [],
      score: async () => ({ verdict: 'passed', detail: '', seconds: 0 }),
    },
    {
      problems: [problem(0), problem(1), problem(2)],
      modes: ['crew'],
      concurrency: 1,
      budgetUsd: 1,
      runBudgetUsd: 1,
      buildPolicy: 'warn',
      suite: 'test',
    },
  );
  assert.equal(started.length, 2, 'the third run would start past $1 spent ($1.20)');
  assert.match(report.stopped!, /budget of \$1 was spent \(\$1\.2000\)/);
  const last = report.problems[2]!.results.crew!;
  assert.deepEqual(
    [last.status, last.hidden, last.passed, last.run_id],
    ['not_started', 'not_started', false, null],
  );
  assert.equal(report.modes.crew!.pass_at_1, 0.6667, 'a problem not run is a fail');
  assert.ok(started.every((s) => s.options?.budget_usd === 1 && s.options.build_policy === 'warn'));
});

test('the median and p90 are nearest-rank over the runs that ran', () => {
  const rows = [5, 1, 3, 2, 4].map((seconds, i) => evalRun({ run_id: `r${i}`, seconds, sandbox_seconds: 1 }));
  const s = summarize('crew', rows);
  assert.deepEqual([s.median_seconds, s.p90_seconds, s.pass_at_1], [3, 5, 1]);
  assert.deepEqual([summarize('crew', []).median_seconds, summarize('crew', []).pass_at_1], [null, 0]);
});

test("a run's time split takes each step's own wall time: a retried model step counts whole, the Planner's model time too", () => {
  const view = (seconds: (number | undefined)[]) =>
    ({
      usage_by_role: { planner: { model_seconds: 4 } },
      tasks: [
        {
          history: ['coder', 'build-checker', 'tester', 'debugger', 'build-checker', 'tester'].map(
            (agent, i) => ({
              agent,
              passed: true,
              at: String(i),
              ...(seconds[i] === undefined ? {} : { seconds: seconds[i] }),
            }),
          ),
        },
      ],
    }) as unknown as RunView;
  // The Coder's step took 250 s (a runaway attempt of 180 s, then the answer kept), the Debugger's 60 s.
  assert.deepEqual(stepSpans(view([250, 2, 1, 60, 2, 1.5])), { model: 314, sandbox: 6.5 });
  assert.equal(stepSpans(view([250, 2, 1, 60, undefined, 1.5])), undefined, 'a step without its time: none');
});

test('a model server that does not answer the single-shot call stops the evaluation and records nothing for it', async () => {
  const { runs } = fakeRuns(() => ({ status: 'completed', cost: 0 }));
  const recorded: string[] = [];
  const deps: EvalDeps = {
    runs,
    readFiles: async () => [{ path: 'codes/x.py', content: '' }],
    score: async () => ({ verdict: 'passed', detail: 'hidden tests passed', seconds: 0.1 }),
    record: async (taskId, mode) => void recorded.push(`${taskId} ${mode}`),
    singleShot: async () => {
      throw new ModelError('MODEL_UNAVAILABLE', 'connection refused at http://127.0.0.1:8033/v1');
    },
  };
  await assert.rejects(
    evaluate(deps, crewOnly([problem(0)])),
    /HumanEval\/0 single-shot: the model did not answer \(connection refused.*the same command with the same -o folder goes on/,
  );
  assert.deepEqual(recorded, ['HumanEval/0 crew'], 'the crew run was recorded, the single-shot was not');
});

test('each new row names the devcrew code it ran on; rows resumed from an earlier evaluation keep theirs; the report counts both', async () => {
  const { runs } = fakeRuns(() => ({ status: 'completed', cost: 0 }));
  const deps: EvalDeps = {
    runs,
    readFiles: async () => [{ path: 'codes/x.py', content: '' }],
    score: async () => ({ verdict: 'passed', detail: 'hidden tests passed', seconds: 0.1 }),
    codeVersion: 'abc1234+changes',
  };
  const first = await evaluate(deps, crewOnly([problem(0)]));
  const earlierRow = first.problems[0]!.results.crew!;
  assert.equal(earlierRow.devcrew, 'abc1234+changes');
  const oldRow = EvalRun.parse({ ...earlierRow, devcrew: undefined });
  const second = await evaluate(
    { ...deps, codeVersion: 'def5678' },
    {
      ...crewOnly([problem(0), problem(1), problem(2)]),
      earlier: new Map([['HumanEval/0 crew', oldRow]]),
    },
  );
  assert.deepEqual(
    second.problems.map((p) => p.results.crew!.devcrew ?? null),
    [null, 'def5678', 'def5678'],
  );
  assert.match(
    markdownReport(second),
    /devcrew code the runs ran on: not recorded \(1 run\), `def5678` \(2 runs\)\./,
  );
});

test('codeVersion: the checkout commit, +changes for a changed tracked file but not for a report, null outside Git', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-code-version-'));
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args])
      .toString()
      .trim();
  try {
    assert.equal(await codeVersion(dir), null);
    git('init', '-q');
    await fs.mkdir(path.join(dir, 'evaluation/reports/x'), { recursive: true });
    await fs.writeFile(path.join(dir, 'evaluation/reports/x/runs.jsonl'), '');
    await fs.writeFile(path.join(dir, 'agent.ts'), 'export const a = 1;\n');
    git('add', '-A');
    git('commit', '-qm', 'first');
    const head = git('rev-parse', '--short=7', 'HEAD');
    await fs.writeFile(path.join(dir, 'evaluation/reports/x/runs.jsonl'), '{}\n');
    await fs.writeFile(path.join(dir, 'notes.txt'), 'untracked\n');
    assert.equal(
      await codeVersion(dir),
      head,
      'a report being written and untracked files are not code changes',
    );
    await fs.writeFile(path.join(dir, 'agent.ts'), 'export const a = 2;\n');
    assert.equal(await codeVersion(dir), `${head}+changes`);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test("the first tested code is judged by the hidden check too, and an earlier row gets that verdict from its run's history", async () => {
  // The Coder's first code (tested at t1) is wrong; the Debugger's (tested at t2, the final code) is right.
  const history = [
    { agent: 'coder', passed: true, commit: 'w1', at: '1' },
    { agent: 'tester', passed: false, commit: 't1', at: '2' },
    { agent: 'debugger', passed: true, commit: 'w2', at: '3' },
    { agent: 'tester', passed: true, commit: 't2', at: '4' },
  ];
  const view = (run_id: string) =>
    ({
      run_id,
      mode: 'crew',
      status: 'completed',
      usage: { calls: 2, cache_hits: 0, cost_usd: 0 },
      tasks: [{ rounds: 1, agent_role: 'coder', status: 'completed', history }],
      model: { provider: 'local', name: 'qwen' },
      result: { artifacts: { commit: 't2', branch: 'b' }, test_summary: { duration_s: 1 } },
    }) as unknown as RunView;
  const code = (commit: string) =>
    commit === 't1' ? 'def f0(x):\n    return 0\n' : 'def f0(x):\n    return x\n';
  const scored: string[] = [];
  const recorded: EvalRun[] = [];
  const deps = (gone: boolean): EvalDeps => ({
    runs: {
      start: async () => ({ run_id: 'run-1', mode: 'crew' }),
      get: async (id: string) => {
        if (gone) throw new Error(`no run ${id}`);
        return view(id);
      },
      async *events(): AsyncIterable<RunEvent> {
        yield { seq: 1, at: '', type: 'run_finished', message: 'done' } as RunEvent;
      },
    } as unknown as RunsService,
    readFiles: async (commit) => [{ path: 'codes/humaneval_0.py', content: code(commit) }],
    score: async (_p, files) => {
      const right = files[0]!.content.includes('return x');
      scored.push(right ? 'right' : 'wrong');
      return { verdict: right ? 'passed' : 'failed', detail: '', seconds: 0.1 };
    },
    record: async (_id, _mode, run) => void recorded.push(run),
  });
  const fresh = await evaluate(deps(false), crewOnly([problem(0)]));
  const row = fresh.problems[0]!.results.crew!;
  assert.deepEqual([row.hidden, row.first_code_hidden], ['passed', 'failed']);
  assert.deepEqual(scored, ['right', 'wrong'], 'the final code, then the first tested code');
  assert.deepEqual([fresh.modes.crew!.first_code_pass_rate, fresh.modes.crew!.first_code_runs], [0, 1]);
  assert.match(
    markdownReport(fresh),
    /first tested code \(before any fix round\) passing the hidden check: crew 0\.0% of 1 run/,
  );

  // The same row as an earlier evaluation kept it, before the first tested code was judged.
  const earlier = new Map([['HumanEval/0 crew', { ...row, first_code_hidden: null }]]);
  recorded.length = 0;
  const resumed = await evaluate(deps(false), { ...crewOnly([problem(0)]), earlier });
  assert.equal(resumed.problems[0]!.results.crew!.first_code_hidden, 'failed');
  assert.deepEqual(
    recorded.map((r) => [r.run_id, r.first_code_hidden, r.hidden]),
    [['run-1', 'failed', 'passed']],
    'recorded again with it, the rest as it was',
  );
  // A run the stack no longer has leaves the row as it was, recorded nowhere.
  recorded.length = 0;
  const gone = await evaluate(deps(true), { ...crewOnly([problem(0)]), earlier });
  assert.equal(gone.problems[0]!.results.crew!.first_code_hidden, null);
  assert.equal(gone.modes.crew!.first_code_pass_rate, null);
  assert.deepEqual(recorded, []);
});

test("a single-shot row's one code is its first: its first-code rate is its pass@1", () => {
  const shot = (hidden: 'passed' | 'failed') =>
    evalRun({ run_id: 'single-shot x', hidden, passed: hidden === 'passed' });
  const s = summarize('single-shot', [shot('passed'), shot('failed'), shot('passed'), shot('passed')]);
  assert.deepEqual([s.pass_at_1, s.first_code_pass_rate, s.first_code_runs], [0.75, 0.75, 4]);
});

test('two modes paired on the same problems: a one-problem lead is within chance, ten to one is not, and a problem one mode lacks is left out', () => {
  const rows = (spec: string) =>
    [...spec].map((c) => ({
      results: {
        crew: evalRun({
          passed: c === 'c' || c === 'B',
          hidden: c === 'c' || c === 'B' ? 'passed' : 'failed',
        }),
        ...(c === '-'
          ? {}
          : {
              'single-shot': evalRun({
                passed: c === 's' || c === 'B',
                hidden: c === 's' || c === 'B' ? 'passed' : 'failed',
              }),
            }),
      },
    }));
  // c: only the crew passed, s: only single-shot, B: both, n: neither, -: single-shot did not run.
  const close = paired(rows('cccssBBBBnn-'), 'crew', 'single-shot');
  assert.deepEqual(
    [close.problems, close.only_a, close.only_b, close.both, close.neither, close.p_value],
    [11, 3, 2, 4, 2, 1],
  );
  // Ten problems only the crew passed against one: 2 * (1 + 11) / 2^11.
  const clear = paired(rows('ccccccccccsBn'), 'crew', 'single-shot');
  assert.deepEqual([clear.only_a, clear.only_b, clear.p_value], [10, 1, 0.0117]);

  const text = (x: typeof close) =>
    markdownReport({
      suite: 't',
      model: 'm',
      double: false,
      note: 'n',
      started_at: '2026-12-05T00:00:00Z',
      wall_seconds: 1,
      build_policy: 'warn',
      stopped: null,
      modes: {},
      paired: [x],
      problems: [],
    });
  assert.match(
    text(close),
    /crew vs single-shot on 11 problem\(s\): only crew passed 3, only single-shot passed 2, both 4, neither 2; p = 1\.000: crew ahead by 1, within chance/,
  );
  assert.match(text(clear), /p = 0\.012: crew better \(p < 0\.05\)/);
});
