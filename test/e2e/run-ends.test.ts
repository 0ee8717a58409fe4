import { telemetry } from '../monitoring/metrics-runtime'; // first: the runtime with metrics
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { pathsFrom, readEnv } from '../../core/config';
import { silentReport } from '../../runtime/provision';
import { ensureTemporalCli } from '../../runtime/provision/temporal-cli';
import { apiClient, until, type Json } from '../support/api';
import { devcrew } from '../support/cli';
import { TEST_ENV } from '../support/env';
import { startTestStack, type TestStack } from '../support/stack';

/**
 * Every way a run can end, read everywhere a person reads it: `GET /v1/runs/{id}`, the list filtered by
 * status, the dashboard, `devcrew runs`, `devcrew status`, the rollout figures, the workers'
 * `devcrew_runs_total` and the event stream. They must all say the same thing.
 */
const TOKEN = 'run-ends-token-5c1e';
let t: TestStack;
before(async () => {
  assert.ok(telemetry.metricsAddress, 'the workers serve metrics');
  t = await startTestStack({ prefix: 'ends-', token: TOKEN });
});
after(async () => t?.stop());

const http = apiClient(() => t.api, TOKEN);
const NO_RECORDING = 'Write a function that converts Roman numerals to integers';

/** devcrew_runs_total{mode, status} summed over the SDK's own labels, from the workers' endpoint. */
async function runsTotal(mode: string, status: string): Promise<number> {
  const text = await (await fetch(`http://${telemetry.metricsAddress}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('devcrew_runs_total{')) continue;
    if (!line.includes(`mode="${mode}"`) || !line.includes(`status="${status}"`)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function start(request: string, options: Json): Promise<string> {
  const res = await http('POST', '/v1/runs', { request, options });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.run_id as string;
}

const closed = (id: string) =>
  until(`run ${id} to end`, async () => {
    const r = (await http('GET', `/v1/runs/${id}`)).body;
    return ['running', 'awaiting_approval'].includes(r.status) ? undefined : r;
  });

/** The whole event stream of an ended run (the stream closes when the run has ended). */
async function lastEvent(id: string): Promise<Json> {
  const res = await fetch(`${t.api}/v1/runs/${id}/events`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const text = await res.text();
  const events = [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!) as Json);
  assert.ok(events.length > 0, `run ${id} has events`);
  return events.at(-1)!;
}

const cliEnv = () => ({
  TEMPORAL_ADDRESS: t.address,
  DEVCREW_STATE_DIR: t.stateDir,
  DEVCREW_TASK_QUEUE_PREFIX: 'ends-',
});

/** What every view says about one ended run; `counted`: whether the workflow's own code recorded the end. */
async function assertEverywhere(
  id: string,
  mode: 'crew' | 'single-agent',
  status: string,
  before: number,
  counted: boolean,
) {
  const view = (await http('GET', `/v1/runs/${id}`)).body;
  assert.equal(view.status, status, `GET /v1/runs/${id}`);
  assert.equal(view.mode, mode);

  await until(`GET /v1/runs?status=${status} to list ${id}`, async () => {
    const list = (await http('GET', `/v1/runs?status=${status}&limit=500`)).body.runs as Json[];
    return list.some((r) => r.run_id === id) ? true : undefined;
  });
  const listed = ((await http('GET', '/v1/runs?limit=500')).body.runs as Json[]).find((r) => r.run_id === id);
  assert.equal(listed?.status, status, 'the unfiltered list');
  for (const other of ['running', 'awaiting_approval', 'completed']) {
    const list = (await http('GET', `/v1/runs?status=${other}&limit=500`)).body.runs as Json[];
    assert.ok(!list.some((r) => r.run_id === id), `not listed as ${other}`);
  }

  const dashboard = (await http('GET', '/v1/dashboard')).body;
  const row = (dashboard.runs as Json[]).find((r) => r.run_id === id);
  if (row) assert.equal(row.status, status, 'the dashboard run list');

  const runs = await devcrew(['runs', '--json', '--limit', '500'], { env: cliEnv() });
  assert.equal(runs.code, 0, runs.stderr);
  const cliRow = (JSON.parse(runs.stdout) as Json[]).find((r) => r.run_id === id);
  assert.equal(cliRow?.status, status, 'devcrew runs');
  const shown = await devcrew(['status', id], { env: cliEnv() });
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`^run ${id}: ${status}`), 'devcrew status');

  if (counted) {
    await until(`devcrew_runs_total{mode="${mode}",status="${status}"} to rise`, async () =>
      (await runsTotal(mode, status)) >= before + 1 ? true : undefined,
    );
    const ended = await lastEvent(id);
    assert.deepEqual([ended.type, ended.status], ['run_finished', status], 'the event stream ends with it');
  }
  return listed;
}

async function terminate(id: string): Promise<void> {
  const cli =
    process.env[TEST_ENV.temporalCli] ||
    (await ensureTemporalCli(pathsFrom(readEnv()).cacheDir, silentReport));
  await promisify(execFile)(cli, [
    'workflow',
    'terminate',
    '--address',
    t.address,
    '--workflow-id',
    id,
    '--reason',
    'run-ends test',
  ]);
}

for (const mode of ['crew', 'single-agent'] as const) {
  test(
    `${mode}: a model call that fails for good ends the run failed, everywhere`,
    { timeout: 180_000 },
    async () => {
      const before = await runsTotal(mode, 'failed');
      const id = await start(NO_RECORDING, { mode, gates: { plan: false } });
      const ended = await closed(id);
      assert.match(ended.error, /MODEL_BAD_REQUEST/);
      await assertEverywhere(id, mode, 'failed', before, true);
    },
  );

  test(`${mode}: a cancelled run is cancelled everywhere`, { timeout: 180_000 }, async () => {
    const before = {
      cancelled: await runsTotal(mode, 'cancelled'),
      completed: await runsTotal(mode, 'completed'),
    };
    const id = await start('Create simple SMA crossover strategy', { mode, gates: { plan: true } });
    if (mode === 'crew') {
      await until('the plan gate', async () =>
        (await http('GET', `/v1/runs/${id}`)).body.status === 'awaiting_approval' ? true : undefined,
      );
    }
    const cancelled = await http('POST', `/v1/runs/${id}/cancel`, {});
    assert.equal(cancelled.status, 202, JSON.stringify(cancelled.body));
    const ended = await closed(id);
    // The single agent has no gate to wait at: it may finish before the cancellation reaches it.
    if (mode === 'crew') assert.equal(ended.status, 'cancelled');
    const status = ended.status as 'cancelled' | 'completed';
    assert.ok(['cancelled', 'completed'].includes(status), status);
    await assertEverywhere(id, mode, status, before[status], true);
  });

  test(
    `${mode}: a run terminated with the temporal CLI shows failed, never running`,
    { timeout: 180_000 },
    async () => {
      const id = await start('Create simple SMA crossover strategy', { mode, gates: { plan: true } });
      await until('the run to be under way', async () =>
        ['running', 'awaiting_approval'].includes((await http('GET', `/v1/runs/${id}`)).body.status)
          ? true
          : undefined,
      );
      await terminate(id);
      const listed = await assertEverywhere(id, mode, 'failed', 0, false);
      assert.equal(listed.temporal_status, 'TERMINATED');
    },
  );
}

test(
  'crew: a task whose tests keep failing ends the run failed, everywhere, and the rollout figures count it',
  { timeout: 240_000 },
  async () => {
    const before = await runsTotal('crew', 'failed');
    const figures = (await http('GET', '/v1/rollout')).body.figures.crew;
    const id = await start('Create daily returns calculator', {
      mode: 'crew',
      gates: { plan: false },
      max_debug_rounds: 0,
    });
    const ended = await closed(id);
    assert.match(ended.error, /TESTS_FAILED/);
    await assertEverywhere(id, 'crew', 'failed', before, true);
    const after = (await http('GET', '/v1/rollout')).body.figures.crew;
    assert.ok(after.failed >= figures.failed + 1, 'the rollout figures count the failure');
  },
);
