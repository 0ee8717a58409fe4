import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { openArtifactStore } from '../../artifacts';
import { EvalReport, type RunView } from '../../contracts';
import { pathsFrom, readEnv } from '../../core/config';
import { silentReport } from '../../core/report';
import { codeVersion } from '../../evaluation/code-version';
import { evaluate } from '../../evaluation/harness';
import { sandboxScorer } from '../../evaluation/score';
import { doubleBehaviour } from '../../models/doubles';
import { readHumanEval, type HumanEvalProblem } from '../../models/humaneval';
import { provision } from '../../runtime/provision';
import { ensureHumanEval } from '../../runtime/provision/humaneval';
import { startStack, type Stack } from '../../runtime/stack';
import { createDockerSandbox, ensureSandboxImage } from '../../sandbox';
import { RecordedGemini } from '../fakes/recorded-gemini';
import { devcrew } from '../support/cli';
import { startTestServer, TEST_ENV } from '../support/env';
import { freePort } from '../support/ports';

/**
 * `devcrew eval` on HumanEval through the real stack: runs in both modes on the workflows, the sandbox
 * and the artifact store, then the problems' hidden tests in the sandbox decide. The scripted evaluation
 * double answers (HumanEval/1 wrong first, HumanEval/7 overfitted to its docstring examples).
 */
const run = promisify(execFile);
const PROBLEMS = ['HumanEval/0', 'HumanEval/1', 'HumanEval/2', 'HumanEval/3', 'HumanEval/7'];
let address: string;
let ownServer: Awaited<ReturnType<typeof startTestServer>> | undefined;
let suite: HumanEvalProblem[];
const cleanups: (() => Promise<unknown>)[] = [];

before(async () => {
  address = process.env[TEST_ENV.temporalAddress] ?? '';
  if (!address) {
    ownServer = await startTestServer();
    address = ownServer.address;
  }
  suite = readHumanEval(await ensureHumanEval(pathsFrom(readEnv()).cacheDir, silentReport));
});
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await ownServer?.teardown();
});

async function stackIn(
  prefix: string,
  env: Record<string, string | undefined>,
): Promise<{ stack: Stack; stateDir: string }> {
  const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), `devcrew-${prefix}`));
  for (const [k, v] of Object.entries({ DEVCREW_STATE_DIR: stateDir, ...env })) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const stack = await startStack({
    report: () => undefined,
    temporalAddress: address,
    apiPort: await freePort(),
    queuePrefix: prefix,
  });
  cleanups.push(() => fs.rm(stateDir, { recursive: true, force: true }));
  cleanups.push(() => stack.stop());
  return { stack, stateDir };
}

/** A distinctive line of a problem's hidden tests: its last assert. */
const hiddenLine = (p: HumanEvalProblem) =>
  p.test
    .split('\n')
    .filter((l) => l.trim().startsWith('assert'))
    .at(-1)!
    .trim();

test('the double behaves as the tests below assume', () => {
  const byId = (id: string) => suite.find((p) => p.task_id === id)!;
  assert.equal(suite.length, 164);
  assert.deepEqual(
    PROBLEMS.map((id) => doubleBehaviour(byId(id))),
    ['correct', 'fix', 'correct', 'correct', 'overfit'],
  );
});

test(
  "devcrew eval on 5 problems in both modes: the table is the runs' own figures, the hidden tests alone decide, and never reach a commit",
  { timeout: 600_000 },
  async () => {
    const { stack, stateDir } = await stackIn('eval-e2e-', {
      DEVCREW_MODEL_PROVIDER: 'scripted',
      GEMINI_API_KEY: undefined,
      OPENAI_API_KEY: undefined,
    });
    const out = path.join(stateDir, 'eval-out');
    const cli = await devcrew(
      ['eval', '--problems', '0,1,2,3,7', '--concurrency', '4', '--json', '-o', out],
      {
        env: {
          TEMPORAL_ADDRESS: address,
          DEVCREW_TASK_QUEUE_PREFIX: 'eval-e2e-',
          DEVCREW_STATE_DIR: stateDir,
        },
      },
    );
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(
      cli.stderr,
      /\[10\/10\] HumanEval\/\d+ .* \| passing so far crew \d\/\d, single-agent \d\/\d \| elapsed (\d+m)?\d+s, ETA 0s/,
    );
    const report = EvalReport.parse(JSON.parse(await fs.readFile(path.join(out, 'report.json'), 'utf8')));
    assert.deepEqual(JSON.parse(cli.stdout), report);
    const markdown = await fs.readFile(path.join(out, 'report.md'), 'utf8');
    assert.match(markdown.split('\n')[0]!, /^> Scripted evaluation double .* not a score\.$/);
    assert.equal(report.double, true);
    assert.equal(report.model, 'scripted (test double)');
    // Every row names the devcrew code it ran on: this checkout.
    const version = await codeVersion();
    assert.ok(version, 'the tests run from a Git checkout');
    assert.deepEqual(
      new Set(report.problems.flatMap((p) => Object.values(p.results).map((r) => r.devcrew))),
      new Set([version]),
    );
    assert.ok(
      markdown.includes(`devcrew code the runs ran on: \`${version}\` (10 runs).`),
      markdown.slice(0, 600),
    );
    assert.deepEqual(
      report.problems.map((p) => p.task_id),
      PROBLEMS,
    );

    for (const mode of ['crew', 'single-agent'] as const) {
      const s = report.modes[mode]!;
      const rows = report.problems.map((p) => p.results[mode]!);
      assert.equal(s.problems, 5);
      assert.equal(s.passed, rows.filter((r) => r.passed).length);
      assert.equal(s.pass_at_1, s.passed / 5);
      assert.equal(s.passed, 4, `${mode}: all but the overfitted HumanEval/7`);
      for (const [i, r] of rows.entries()) {
        // Every figure in the table is the run's own, as devcrew reports it.
        const view = (await stack.runs.get(r.run_id!)) as Extract<RunView, { usage: unknown }>;
        assert.equal(r.status, view.status, `${PROBLEMS[i]} ${mode}`);
        assert.equal(view.mode, mode);
        assert.equal(r.cost_usd, view.usage.cost_usd);
        assert.equal(r.model_calls, view.usage.calls + view.usage.cache_hits);
        assert.equal(
          r.fix_iterations,
          view.tasks.reduce((n, t) => n + t.rounds, 0),
        );
        assert.match(markdown, new RegExp(`${r.run_id}`));
      }
      const overfit = report.problems.find((p) => p.task_id === 'HumanEval/7')!.results[mode]!;
      assert.equal(overfit.status, 'completed', 'its own tests passed');
      assert.equal(overfit.hidden, 'failed');
      assert.equal(overfit.passed, false, 'the hidden tests alone decide');
      const fixed = report.problems.find((p) => p.task_id === 'HumanEval/1')!.results[mode]!;
      assert.ok(fixed.fix_iterations >= 1, `${mode} repaired HumanEval/1 in a fix round`);
      assert.equal(fixed.passed, true);
      // Each row keeps the module it scored (for --verify), and the module is the function's code.
      for (const [i, r] of rows.entries()) {
        const p = suite.find((x) => x.task_id === PROBLEMS[i])!;
        assert.match(r.code ?? '', new RegExp(`def ${p.entry_point}\\(`), `${PROBLEMS[i]} ${mode}`);
      }
    }

    // The hidden tests are in no commit of any run (they only ever entered the scoring sandbox).
    const repo = path.join(stateDir, 'artifacts');
    const revs = (await run('git', ['--git-dir', repo, 'rev-list', '--all'])).stdout.trim().split('\n');
    assert.ok(revs.length > 20, `${revs.length} commits`);
    for (const p of suite.filter((x) => PROBLEMS.includes(x.task_id))) {
      for (const needle of ['def check(candidate)', hiddenLine(p)]) {
        const found = await run('git', ['--git-dir', repo, 'grep', '-l', '-F', '-e', needle, ...revs]).then(
          (r) => r.stdout.trim(),
          () => '', // exit 1: nothing found
        );
        assert.equal(found, '', `${p.task_id}: "${needle}" in a commit`);
      }
    }
  },
);

test(
  'through the real Gemini SDK, the fake Gemini server never sees a hidden test in any prompt',
  { timeout: 600_000 },
  async () => {
    const fake = await new RecordedGemini().start();
    cleanups.push(() => fake.stop());
    const { stack, stateDir } = await stackIn('eval-gemini-', {
      DEVCREW_MODEL_PROVIDER: 'gemini',
      GEMINI_API_KEY: 'eval-fake-gemini-key-000000',
      GEMINI_BASE_URL: fake.url,
    });
    const p = await provision({ docker: true, sandboxImage: true }, { report: silentReport });
    const box = createDockerSandbox({
      docker: p.docker!,
      image: await ensureSandboxImage(p.docker!, p.sandboxBaseImage!, () => undefined),
    });
    cleanups.push(() => box.close());
    const store = await openArtifactStore({ repoDir: path.join(stateDir, 'artifacts') });
    const problems = suite.filter((x) => ['HumanEval/1', 'HumanEval/7'].includes(x.task_id));
    const report = await evaluate(
      {
        runs: stack.runs,
        readFiles: async (commit) => store.readFiles(commit, await store.listFiles(commit)),
        score: sandboxScorer(box),
      },
      {
        problems,
        modes: ['crew', 'single-agent'],
        concurrency: 4,
        runBudgetUsd: 1,
        buildPolicy: 'warn',
        suite: 'HumanEval',
      },
    );
    assert.equal(report.double, false);
    assert.match(report.model, /^gemini\//);
    assert.equal(report.modes.crew!.passed, 1);
    assert.equal(report.modes['single-agent']!.passed, 1);
    const prompts = fake.requests.map((r) => JSON.stringify(r.body));
    // Per problem at least the crew's Coder and the single agent (a stub's plan is made by rule).
    assert.ok(prompts.length >= 4, `${prompts.length} model calls`);
    assert.ok(
      !prompts.some((b) => b.includes('You are the Planner')),
      'a one-function stub is planned by rule, without the Planner',
    );
    for (const prob of problems) {
      assert.ok(
        prompts.some((b) => b.includes(JSON.stringify(prob.prompt.trim()).slice(1, 60))),
        'the prompt was asked',
      );
      for (const needle of ['def check(candidate)', hiddenLine(prob), 'METADATA']) {
        const inJson = JSON.stringify(needle).slice(1, -1);
        assert.ok(!prompts.some((b) => b.includes(inJson)), `${prob.task_id}: "${needle}" reached the model`);
      }
    }
  },
);

test('bad eval options are refused with what is wrong, before any run starts', async () => {
  for (const [args, wrong] of [
    [['--suite', 'mbpp'], /--suite mbpp: the suites are: humaneval/],
    [['--mode', 'crew,solo'], /--mode solo: use crew, single-agent or both/],
    [['--concurrency', '0'], /--concurrency 0: expected a number > 0/],
    [['--limit', 'ten'], /--limit ten: expected a whole number >= 1/],
    [['--problems', '0,999'], /--problems: no problem "999" in HumanEval \(HumanEval\/0 to HumanEval\/163\)/],
    [['--build-policy', 'lenient'], /--build-policy lenient: use standard, strict, warn/],
  ] as const) {
    const r = await devcrew(['eval', ...args], { env: { TEMPORAL_ADDRESS: '127.0.0.1:1' } });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, wrong);
  }
});
