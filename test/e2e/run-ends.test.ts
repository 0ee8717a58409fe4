import { telemetry } from '../monitoring/metrics-runtime'; // first: the runtime with metrics
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { until } from '../support/api';
import { runViews } from '../support/run-views';
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

const { http, runsTotal, start, closed, assertEverywhere, terminate } = runViews({
  stack: () => t,
  token: TOKEN,
  prefix: 'ends-',
  metricsAddress: telemetry.metricsAddress!,
});
const NO_RECORDING = 'Write a function that converts Roman numerals to integers';

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
      assert.equal(listed?.temporal_status, 'TERMINATED');
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
