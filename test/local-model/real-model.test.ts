import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openArtifactStore } from '../../artifacts';
import { DEFAULT_LOCAL_MODEL } from '../../models/local-models';
import { apiClient, until, type Json } from '../support/api';
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
  'the single agent on the real local model writes a Roman numeral converter whose tests pass in the sandbox',
  { timeout: 900_000 },
  async () => {
    const started = await http('POST', '/v1/runs', {
      request: 'Write a function roman_to_int(s: str) -> int that converts a Roman numeral to an integer',
      options: { mode: 'single-agent' },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const id = started.body.run_id as string;
    const done = await until(
      `run ${id} to end`,
      async () => {
        const r = (await http('GET', `/v1/runs/${id}`)).body;
        return ['running', 'awaiting_approval'].includes(r.status) ? undefined : r;
      },
      840,
    );
    assert.equal(done.status, 'completed', JSON.stringify(done).slice(0, 2000));
    assert.deepEqual(done.model, { provider: 'local', name: DEFAULT_LOCAL_MODEL });
    assert.ok(
      done.test_summary.passed > 0 && done.test_summary.failed === 0,
      JSON.stringify(done.test_summary),
    );
    // A local call costs nothing and still reports what it used.
    assert.equal(done.usage.cost_usd, 0);
    assert.ok(done.usage.input_tokens > 0 && done.usage.output_tokens > 0);
    assert.ok(done.usage.model_seconds > 0, 'model time is measured');

    const artifacts = (await http('GET', `/v1/runs/${id}/artifacts`)).body;
    const files: string[] = artifacts.integration.files;
    assert.ok(
      files.some((f) => f.startsWith('codes/') && f.endsWith('.py')),
      files.join(', '),
    );
    assert.ok(
      files.some((f) => f.startsWith('tests/') && f.endsWith('.py')),
      files.join(', '),
    );
    const store = await openArtifactStore({ repoDir: path.join(t.stateDir, 'artifacts') });
    const task = (artifacts.tasks as Json[])[0]!;
    const written = (task.commits as Json[]).find((c) => c.metadata.agent_role === 'single-agent');
    assert.equal(
      written?.metadata.model_name,
      `local/${DEFAULT_LOCAL_MODEL}`,
      'the commit names the real model',
    );
    const code = files.find(
      (f) => f.startsWith('codes/') && f.endsWith('.py') && !f.endsWith('__init__.py'),
    )!;
    assert.match(await store.readFile(artifacts.integration.commit, code), /def roman_to_int/);
  },
);

test(
  'devcrew eval on the real model: two HumanEval problems, single agent and the model alone, scored by the hidden check',
  { timeout: 900_000 },
  async () => {
    const out = path.join(t.stateDir, 'eval');
    const env = {
      TEMPORAL_ADDRESS: t.address,
      DEVCREW_STATE_DIR: t.stateDir,
      DEVCREW_TASK_QUEUE_PREFIX: 'real-',
    };
    const run = await devcrew(['eval', '--problems', '0,4', '--mode', 'single-agent', '--json', '-o', out], {
      env,
    });
    assert.equal(run.code, 0, run.stderr.slice(-3000));
    const report = JSON.parse(run.stdout) as Json;
    assert.equal(report.double, false);
    assert.equal(report.model, `local/${DEFAULT_LOCAL_MODEL}`);
    assert.equal(report.problems.length, 2);
    for (const p of report.problems as Json[]) {
      for (const mode of ['single-agent', 'single-shot']) {
        const r = p.results[mode];
        assert.ok(r, `${p.task_id} ${mode} was run`);
        assert.ok(
          ['passed', 'failed', 'no_function', 'run_failed'].includes(r.hidden),
          `${p.task_id} ${mode}: ${r.hidden}`,
        );
        assert.equal(r.passed, r.hidden === 'passed', 'only the hidden check decides');
      }
    }
    assert.ok(report.single_shot.problems === 2);
    assert.ok(report.criteria.tester_accuracy === null || report.criteria.tester_accuracy >= 0);
    assert.match(run.stderr, /\[4\/4\]/, 'progress per run');

    // Run again on the same folder: nothing is run twice.
    const again = await devcrew(
      ['eval', '--problems', '0,4', '--mode', 'single-agent', '--json', '-o', out],
      { env },
    );
    assert.equal(again.code, 0, again.stderr.slice(-2000));
    assert.match(again.stderr, /resuming: 4 run\(s\) already scored/);
    assert.equal(
      (JSON.parse(again.stdout) as Json).modes['single-agent'].passed,
      report.modes['single-agent'].passed,
    );
  },
);
