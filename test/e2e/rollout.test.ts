import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openArtifactStore } from '../../artifacts';
import { TestReport } from '../../contracts';
import { type Stack } from '../../runtime/stack';
import { MODE } from '../../workflows/search-attributes';
import { rolloutWorkflowId } from '../../server/temporal-rollout';
import { until } from '../support/api';
import { devcrew } from '../support/cli';
import { saveHistory } from '../workflows/harness';
import { startTestStack, type TestStack } from '../support/stack';

/**
 * The single agent beside the crew, and the rollout between them, on the real stack: Temporal server,
 * workers, Docker sandbox with real pytest, Git. This file's stack has queues (and a rollout) of its
 * own, so other test files' runs never count in its figures.
 */
const TOKEN = 'rollout-e2e-token-5c1d';
const PREFIX = 'rollout-e2e-';
let t: TestStack;
let stack: Stack;
let stateDir: string;
let api: string;
let address: string;

before(async () => {
  t = await startTestStack({ prefix: PREFIX, token: TOKEN });
  ({ stack, stateDir, api, address } = t);
});
after(async () => t?.stop());

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API bodies are read field by field
type Json = Record<string, any>;

async function http(method: string, url: string, body?: unknown, token: string | null = TOKEN) {
  const res = await fetch(`${api}${url}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

const ended = (runId: string) =>
  until(`run ${runId} to end`, async () => {
    const r = await http('GET', `/v1/runs/${runId}`);
    return ['running', 'awaiting_approval'].includes(r.body.status) ? undefined : r.body;
  });

const cliEnv = () => ({
  TEMPORAL_ADDRESS: address,
  DEVCREW_TASK_QUEUE_PREFIX: PREFIX,
  DEVCREW_STATE_DIR: stateDir,
});

test(
  'single-agent mode: the SMA request fails its first attempt for real in the sandbox, passes the second, with provenance on its branch',
  { timeout: 300_000 },
  async () => {
    const started = await http('POST', '/v1/runs', {
      request: 'Create simple SMA crossover strategy',
      options: { mode: 'single-agent' },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.mode, 'single-agent');
    const runId = started.body.run_id as string;
    const done = await ended(runId);
    assert.equal(done.status, 'completed', JSON.stringify(done).slice(0, 3000));
    assert.equal(done.mode, 'single-agent');
    assert.equal(done.mode_reason, 'asked for single-agent');
    const [task] = done.tasks;
    assert.equal(task.id, 'single_agent');
    assert.equal(task.agent_role, 'single-agent');
    assert.deepEqual(
      task.history.map((h: Json) => `${h.agent}#${h.round}:${h.passed ? 'ok' : 'fail'}`),
      ['single-agent#1:ok', 'tester#1:fail', 'single-agent#2:ok', 'tester#2:ok'],
    );
    assert.equal(task.rounds, 1, 'one fix iteration');
    assert.ok(done.test_summary.passed >= 5 && done.test_summary.failed === 0);

    const store = await openArtifactStore({ repoDir: path.join(stateDir, 'artifacts') });
    const firstReport = TestReport.parse(
      JSON.parse(await store.readFile(task.history[1].commit, task.history[1].report_path)),
    );
    assert.ok(
      firstReport.cases.some((c) => c.name === 'test_sma_values' && c.status === 'failed'),
      'real pytest caught the first attempt',
    );
    const artifacts = (await http('GET', `/v1/runs/${runId}/artifacts`)).body;
    const branch = artifacts.tasks.find((t: Json) => t.task_id === 'single_agent');
    assert.equal(branch.branch, `ai/generated/${runId}/single_agent`);
    assert.equal(branch.tag.name, `workflow_${runId}_single_agent`);
    const roles = branch.commits.map((c: Json) => c.metadata.agent_role);
    assert.ok(roles.includes('single-agent') && roles.includes('tester'), roles.join());
    assert.ok(artifacts.integration.files.includes('codes/sma_strategy.py'));

    const listed = await http('GET', '/v1/runs?mode=single-agent');
    assert.ok(listed.body.runs.some((r: Json) => r.run_id === runId && r.mode === 'single-agent'));
    const crewOnly = await http('GET', '/v1/runs?mode=crew');
    assert.ok(!crewOnly.body.runs.some((r: Json) => r.run_id === runId));
    const d = await stack.client.workflow.getHandle(runId).describe();
    assert.equal(d.typedSearchAttributes.get(MODE), 'single-agent', 'filterable in the Web UI');
    assert.equal(d.type, 'singleAgentWorkflow');

    await saveHistory(stack.client.workflow.getHandle(runId), 'single-agent-sma');
    const status = await devcrew(['status', runId, '--json'], { env: cliEnv() });
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).mode, 'single-agent');
  },
);

test(
  'auto runs follow the rollout: 0% goes to the single agent, 100% to the crew; bad changes leave the state as it was',
  { timeout: 300_000 },
  async () => {
    const initial = await http('GET', '/v1/rollout');
    assert.equal(initial.status, 200);
    assert.equal(initial.body.state.percent, 100);
    assert.equal(initial.body.state.enabled, true);

    for (const bad of [
      { percent: 101, reason: 'too far' },
      { percent: 50 },
      { percent: -1, reason: 'negative' },
    ]) {
      assert.equal((await http('PUT', '/v1/rollout', bad)).status, 400, JSON.stringify(bad));
    }
    assert.equal((await http('PUT', '/v1/rollout', { percent: 0, reason: 'no token' }, null)).status, 401);
    assert.equal((await http('GET', '/v1/rollout')).body.state.percent, 100, 'unchanged');

    const zero = await http('PUT', '/v1/rollout', { percent: 0, reason: 'baseline week', by: 'ana' });
    assert.equal(zero.status, 200, JSON.stringify(zero.body));
    assert.equal(zero.body.state.percent, 0);
    assert.deepEqual(
      [zero.body.state.audit[0].action, zero.body.state.audit[0].by, zero.body.state.audit[0].reason],
      // The body's "by" is not who changed it: the credential's holder is.
      ['set', 'bootstrap-admin', 'baseline week'],
    );
    const single = await http('POST', '/v1/runs', { request: 'Create simple SMA crossover strategy' });
    assert.equal(single.body.mode, 'single-agent');

    await http('PUT', '/v1/rollout', { percent: 100, reason: 'crew for everyone' });
    const crew = await http('POST', '/v1/runs', {
      request: 'Create simple SMA crossover strategy',
      options: { gates: { plan: false } },
    });
    assert.equal(crew.body.mode, 'crew');
    const crewRun = await ended(crew.body.run_id);
    assert.equal(crewRun.status, 'completed');
    assert.match(crewRun.mode_reason, /^rollout 100%: bucket \d+ < 100$/);
    assert.equal((await ended(single.body.run_id)).status, 'completed');

    const view = await http('GET', '/v1/rollout');
    const f = view.body.figures;
    assert.ok(f.crew.completed >= 1 && f['single-agent'].completed >= 1, JSON.stringify(f));
    assert.equal(f['single-agent'].failed, 0);
    assert.ok(f['single-agent'].mean_fix_iterations >= 1, 'the single agent needed a fix, as recorded');
    assert.ok(f.crew.median_duration_s > 0);
  },
);

test(
  'rollback by hand, over HTTP and with the CLI, sends every auto run to the single agent with the reason on record',
  { timeout: 120_000 },
  async () => {
    await http('PUT', '/v1/rollout', { percent: 50, reason: 'week 10' });
    const rolled = await http('POST', '/v1/rollout/rollback', { reason: 'crew flaky on tuesday', by: 'ops' });
    assert.equal(rolled.status, 200, JSON.stringify(rolled.body));
    assert.deepEqual([rolled.body.applied, rolled.body.state.percent], [true, 0]);
    assert.deepEqual(
      [
        rolled.body.state.audit[0].action,
        rolled.body.state.audit[0].reason,
        rolled.body.state.audit[0].from.percent,
      ],
      ['rollback', 'crew flaky on tuesday', 50],
    );

    const set = await devcrew(['rollout', 'set', '30', '-m', 'try again'], {
      env: cliEnv(),
    });
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /30% of auto runs to the crew/);
    const refused = await devcrew(['rollout', 'set', '130', '-m', 'too much'], { env: cliEnv() });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /percent/);
    const noReason = await devcrew(['rollout', 'rollback'], { env: cliEnv() });
    assert.notEqual(noReason.code, 0);
    assert.match(noReason.stderr, /say why/);
    const back = await devcrew(['rollout', 'rollback', '-m', 'pager went off'], { env: cliEnv() });
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout, /rolled back\. rollout on: 0%/);
    const status = await devcrew(['rollout', 'status'], { env: cliEnv() });
    assert.match(status.stdout, /last change .* \(rollback\): pager went off/);
    assert.match(status.stdout, /single-agent +\d+/);
  },
);

test(
  'the rollout rolls back by itself when crew runs fail their tests, and says why',
  { timeout: 300_000 },
  async () => {
    const armed = await http('PUT', '/v1/rollout', {
      percent: 100,
      reason: 'arm the auto-rollback for the test',
      auto_rollback: { enabled: true, min_runs: 2, failure_rate_threshold: 0.2, check_interval_seconds: 1 },
    });
    assert.equal(armed.status, 200, JSON.stringify(armed.body));
    const failing = await Promise.all(
      [1, 2].map(() =>
        http('POST', '/v1/runs', {
          request: 'Create daily returns calculator',
          options: { mode: 'crew', gates: { plan: false }, max_debug_rounds: 0 },
        }),
      ),
    );
    for (const f of failing) {
      const run = await ended(f.body.run_id);
      assert.equal(run.status, 'failed');
      assert.match(run.error, /TESTS_FAILED/);
    }
    const state = await until('the auto-rollback', async () => {
      const r = (await http('GET', '/v1/rollout')).body.state;
      return r.percent === 0 ? r : undefined;
    });
    assert.equal(state.audit[0].action, 'auto-rollback');
    assert.equal(state.audit[0].by, 'devcrew auto-rollback');
    assert.match(
      state.audit[0].reason,
      /crew failure rate \d+% \(\d+ of \d+ runs that ended since .*\) is above 20%/,
    );
    assert.equal(state.last_check.outcome, 'rolled_back');
    await saveHistory(stack.client.workflow.getHandle(rolloutWorkflowId(PREFIX)), 'rollout-auto-rollback');
    const next = await http('POST', '/v1/runs', { request: 'Create simple SMA crossover strategy' });
    assert.equal(next.body.mode, 'single-agent', 'auto runs now go to the single agent');
    await ended(next.body.run_id);
  },
);
