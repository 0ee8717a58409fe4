import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import Docker from 'dockerode';
import { openArtifactStore } from '../../artifacts';
import { TestReport } from '../../contracts';
import { pathsFrom, readEnv } from '../../core/config';
import { silentReport } from '../../runtime/provision';
import { ensureTemporalCli } from '../../runtime/provision/temporal-cli';
import { type Stack } from '../../runtime/stack';
import { launchBrowser } from '../support/browser';
import { TEST_ENV } from '../support/env';
import { startTestStack, type TestStack } from '../support/stack';

const TOKEN = 'e2e-token-7d1f0c9a2b';
let t: TestStack;
let stack: Stack;
let stateDir: string;
let api: string;
let webUi: string | undefined;

before(async () => {
  t = await startTestStack({ token: TOKEN, ui: true });
  ({ stack, stateDir, api, webUiUrl: webUi } = t);
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

async function waitFor(runId: string, ok: (run: Json) => boolean, seconds = 240) {
  const deadline = Date.now() + seconds * 1000;
  let last: unknown;
  while (Date.now() < deadline) {
    const res = await http('GET', `/v1/runs/${runId}`);
    last = res.body;
    if (res.status === 200 && ok(res.body)) return res.body;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `run ${runId} did not get there in ${seconds} s; last: ${JSON.stringify(last).slice(0, 2000)}`,
  );
}

test(
  'the migration plan\'s E2E: "Create simple SMA crossover strategy" over HTTP, real Temporal, sandbox, pytest and Git',
  { timeout: 300_000 },
  async () => {
    const started = await http('POST', '/v1/runs', { request: 'Create simple SMA crossover strategy' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const runId = started.body.run_id as string;
    assert.match(runId, /^devcrew-create-simple-sma-crossover-strategy-/);

    const waiting = await waitFor(runId, (r) => r.pending_gates?.length > 0);
    assert.equal(waiting.status, 'awaiting_approval');
    assert.equal(waiting.pending_gates[0].gate_id, 'plan');
    const approved = await http('POST', `/v1/runs/${runId}/approvals/plan`, {
      decision: 'approve',
      approver: 'e2e',
    });
    assert.deepEqual([approved.status, approved.body.outcome], [200, 'approved']);
    const again = await http('POST', `/v1/runs/${runId}/approvals/plan`, {
      decision: 'approve',
      approver: 'e2e',
    });
    assert.equal(again.status, 409, 'a decided gate is not pending any more');

    const done = await waitFor(runId, (r) => !['running', 'awaiting_approval'].includes(r.status));
    assert.equal(done.status, 'completed', JSON.stringify(done).slice(0, 3000));
    assert.ok(done.tasks.every((t: { status: string }) => t.status === 'completed'));
    assert.deepEqual(
      done.model,
      { provider: 'scripted', name: 'scripted' },
      'the test double says what it is',
    );
    assert.ok(done.test_summary.passed > 0);
    assert.equal(done.test_summary.failed, 0);

    const artifacts = await http('GET', `/v1/runs/${runId}/artifacts`);
    const files: string[] = artifacts.body.integration.files;
    for (const f of ['codes/sma_strategy.py', 'tests/test_sma_strategy.py', done.test_report_path]) {
      assert.ok(files.includes(f), `${f} is on the integration branch`);
    }
    const store = await openArtifactStore({ repoDir: path.join(stateDir, 'artifacts') });
    const report = TestReport.parse(
      JSON.parse(await store.readFile(artifacts.body.integration.commit, done.test_report_path)),
    );
    assert.ok(report.summary.passed > 0, 'real pytest passed tests in the sandbox');
    assert.equal(report.summary.failed, 0);
    assert.ok(
      report.cases.some((c) => c.name === 'test_buy_when_fast_crosses_above_slow' && c.status === 'passed'),
    );
    const coderCommit = artifacts.body.tasks.find((t: { task_id: string }) => t.task_id === 'task_coder_001');
    assert.ok(coderCommit.tag, 'the task is tagged workflow_{run}_{task}');
    assert.ok(
      coderCommit.commits.some(
        (c: { metadata: { agent_role: string; model_name: string } }) =>
          c.metadata.agent_role === 'coder' && c.metadata.model_name === 'scripted',
      ),
    );

    if (webUi) {
      const browser = await launchBrowser();
      try {
        const page = await browser.newPage();
        await page.goto(`${webUi}/namespaces/default/workflows/${runId}`, { waitUntil: 'domcontentloaded' });
        await page.getByText(runId).first().waitFor({ timeout: 60_000 });
        await page.getByText('Completed').first().waitFor({ timeout: 30_000 });
      } finally {
        await browser.close();
      }
    }
  },
);

test(
  'a plan gate approved with the official temporal CLI (a signal) lets the run finish',
  { timeout: 300_000 },
  async () => {
    const started = await http('POST', '/v1/runs', { request: 'Create simple SMA crossover strategy' });
    const runId = started.body.run_id as string;
    await waitFor(runId, (r) => r.pending_gates?.length > 0);
    const cli =
      process.env[TEST_ENV.temporalCli] ||
      (await ensureTemporalCli(pathsFrom(readEnv()).cacheDir, silentReport));
    await promisify(execFile)(cli, [
      'workflow',
      'signal',
      '--address',
      stack.address,
      '--workflow-id',
      runId,
      '--name',
      'decideGate',
      '--input',
      JSON.stringify({ gate_id: 'plan', decision: 'approve', approver: 'temporal-cli' }),
    ]);
    const done = await waitFor(runId, (r) => !['running', 'awaiting_approval'].includes(r.status));
    assert.equal(done.status, 'completed');
    assert.ok(done.usage.cache_hits > 0, 'an identical rerun is answered from the response cache');
    assert.equal(done.usage.calls, 0, 'with zero model calls');
  },
);

test(
  'a request whose first code fails its tests gets a real Debugger round in the sandbox, then passes',
  { timeout: 300_000 },
  async () => {
    const started = await http('POST', '/v1/runs', {
      request: 'Create rate of change indicator',
      options: { gates: { plan: false } },
    });
    const runId = started.body.run_id as string;
    const done = await waitFor(runId, (r) => !['running', 'awaiting_approval'].includes(r.status));
    assert.equal(done.status, 'completed', JSON.stringify(done).slice(0, 3000));
    const coder = done.tasks.find((t: { id: string }) => t.id === 'task_coder_001');
    assert.equal(coder.rounds, 1);
    const steps = coder.history.map(
      (h: { agent: string; passed: boolean }) => `${h.agent}:${h.passed ? 'ok' : 'fail'}`,
    );
    assert.deepEqual(steps, [
      'coder:ok',
      'build-checker:ok',
      'tester:fail',
      'debugger:ok',
      'build-checker:ok',
      'tester:ok',
    ]);
    const store = await openArtifactStore({ repoDir: path.join(stateDir, 'artifacts') });
    const failing = coder.history[2];
    const report = TestReport.parse(JSON.parse(await store.readFile(failing.commit, failing.report_path)));
    assert.equal(report.summary.failed, 2, 'real pytest found the recorded bug');
    assert.ok(report.cases.some((c) => c.status === 'failed' && /assert/.test(c.message ?? '')));
  },
);

test(
  '"Create momentum strategy", the migration plan\'s other example, runs to green with coverage',
  { timeout: 300_000 },
  async () => {
    const started = await http('POST', '/v1/runs', {
      request: 'Create momentum strategy',
      options: { gates: { plan: false } },
    });
    const done = await waitFor(
      started.body.run_id as string,
      (r) => !['running', 'awaiting_approval'].includes(r.status),
    );
    assert.equal(done.status, 'completed', JSON.stringify(done).slice(0, 3000));
    assert.ok(done.result.artifacts.files.includes('codes/momentum_strategy.py'));
    assert.equal(done.test_summary.failed, 0);
    const tester = done.tasks.find((t: { id: string }) => t.id === 'task_tester_001');
    assert.match(tester.history.at(-1).summary, /coverage \d+(\.\d+)?%/);
  },
);

test(
  'cancelling a run while its tests run in the sandbox kills the container and ends the run cancelled',
  { timeout: 120_000 },
  async () => {
    const docker = new Docker();
    const todo = {
      todo_list_id: 'todo_slow',
      request: 'Run a very slow test',
      tasks: [
        {
          id: 'slow_tests',
          title: 'slow',
          description: 'tests that take long',
          agent_role: 'tester',
          acceptance_criteria: { tests: [{ cmd: 'sleep 120', timeout_seconds: 200 }] },
          timeout_seconds: 300,
        },
      ],
    };
    const started = await http('POST', '/v1/runs', { todo_list: todo });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const runId = started.body.run_id as string;
    // Jobs are named after their run (a pooled container cannot be labelled after it starts).
    const mine = { all: true, filters: { name: [`devcrew-${runId}-`] } };
    for (let i = 0; i < 200 && (await docker.listContainers(mine)).length === 0; i++)
      await new Promise((r) => setTimeout(r, 200));
    assert.equal(
      (await docker.listContainers(mine)).length,
      1,
      'the tests are running in a sandbox container',
    );

    assert.equal((await http('POST', `/v1/runs/${runId}/cancel`)).status, 202);
    const done = await waitFor(runId, (r) => !['running', 'awaiting_approval'].includes(r.status), 60);
    assert.equal(done.status, 'cancelled');
    for (let i = 0; i < 100 && (await docker.listContainers(mine)).length > 0; i++)
      await new Promise((r) => setTimeout(r, 200));
    assert.equal((await docker.listContainers(mine)).length, 0, 'no container is left behind');
  },
);
