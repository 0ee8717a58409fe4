import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { after, before, test } from 'node:test';
import { initialRollout, type RollbackRequest, type RolloutState } from '../../contracts';
import { alertReceiver } from '../../server/alerts';
import { createApp } from '../../server/app';
import { createApiMetrics } from '../../server/metrics';
import type { RolloutService } from '../../server/rollout-service';
import type { RunsService } from '../../server/runs-service';

/**
 * Alertmanager's webhook on the HTTP API: what reaches the rollout for each alert, and bad payloads
 * refused with what is wrong. (test/monitoring/alert-rollback.test.ts runs the real chain.)
 */
const TOKEN = 'alerts-token-0123456789';
let state: RolloutState = { ...initialRollout('2026-11-25T00:00:00.000Z'), percent: 50 };
const rollbacks: RollbackRequest[] = [];
const rollout: RolloutService = {
  state: async () => state,
  view: async () => {
    throw new Error('not used here');
  },
  change: async () => state,
  rollback: async (request) => {
    rollbacks.push(request);
    state = { ...state, percent: 0 };
    return { applied: true, state };
  },
  rate: async () => undefined,
  noteAlerts: async (firing) => void firingNoted.push(firing),
};
const firingNoted: string[][] = [];
const runs = {} as RunsService;
let server: Server;
let base: string;

before(async () => {
  const app = createApp({
    runs,
    rollout,
    token: TOKEN,
    namespace: 'default',
    readiness: async () => [],
    alerts: alertReceiver(rollout),
    metrics: createApiMetrics({ dailyBudgetUsd: 7.5, rollout: () => rollout.state() }),
    log: () => undefined,
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const webhook = (alerts: object[], status = 'firing') => ({
  version: '4',
  status,
  receiver: 'devcrew-api',
  groupKey: '{}:{alertname="DevcrewRunFailureRateHigh"}',
  alerts,
});
const crewAlert = (status = 'firing') => ({
  status,
  labels: { alertname: 'DevcrewRunFailureRateHigh', mode: 'crew', severity: 'critical' },
  annotations: { summary: 'More than 20% of crew runs failed over 15 minutes (60%)' },
  startsAt: '2026-11-25T10:00:00Z',
  fingerprint: 'abc123',
});

async function post(body: unknown, token: string | null = TOKEN) {
  const res = await fetch(`${base}/v1/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- read field by field
  return { status: res.status, body: (await res.json()) as any };
}

test('a firing crew failure-rate alert rolls back once, naming the alert; repeats and other alerts change nothing', async () => {
  assert.equal((await post(webhook([crewAlert()]), null)).status, 401, 'the token is required');
  assert.equal(rollbacks.length, 0);

  const first = await post(webhook([crewAlert()]));
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.actions[0].action, 'rolled_back');
  assert.match(first.body.actions[0].detail, /from 50% to 0%/);
  assert.equal(rollbacks.length, 1);
  assert.match(
    rollbacks[0]!.reason,
    /^alert DevcrewRunFailureRateHigh firing: More than 20% of crew runs failed/,
  );
  // Who rolled back: Alertmanager, with the credential it authenticated with.
  assert.equal(rollbacks[0]!.by, 'alertmanager (devcrew-api) as bootstrap-admin');
  assert.equal(rollbacks[0]!.credential_id, 'bootstrap');

  const again = await post(webhook([crewAlert()]));
  assert.equal(again.body.actions[0].action, 'already_rolled_back');
  const single = await post(
    webhook([{ ...crewAlert(), labels: { alertname: 'DevcrewRunFailureRateHigh', mode: 'single-agent' } }]),
  );
  assert.equal(single.body.actions[0].action, 'noted');
  const resolved = await post(webhook([crewAlert('resolved')], 'resolved'));
  assert.equal(resolved.body.actions[0].action, 'noted');
  assert.equal(rollbacks.length, 1, 'one rollback for one streak');
  assert.deepEqual(firingNoted[0], ['DevcrewRunFailureRateHigh'], 'the rollout hears what fires');
  assert.deepEqual(firingNoted.at(-1), [], 'and when it stops');
});

test('a firing crew complaints alert rolls back too', async () => {
  state = { ...state, percent: 25 };
  const before = rollbacks.length;
  const res = await post(
    webhook([
      {
        ...crewAlert(),
        labels: { alertname: 'DevcrewRunComplaintsHigh', mode: 'crew' },
        fingerprint: 'def456',
        annotations: { summary: 'More than 30% of crew ratings are complaints' },
      },
    ]),
  );
  assert.equal(res.body.actions[0].action, 'rolled_back', JSON.stringify(res.body));
  assert.equal(rollbacks.length, before + 1);
  assert.match(rollbacks.at(-1)!.reason, /^alert DevcrewRunComplaintsHigh firing: More than 30%/);
});

test('what is not an Alertmanager webhook is refused with what is wrong', async () => {
  for (const [body, wrong] of [
    [{ alerts: [crewAlert()], status: 'firing' }, /version/],
    [webhook([]), /alerts is empty/],
    [webhook([{ status: 'firing', labels: { mode: 'crew' } }]), /alertname/],
    [webhook([{ ...crewAlert(), status: 'burning' }]), /status/],
    ['not json at all', /.+/],
  ] as const) {
    const res = await post(body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.match(JSON.stringify(res.body.error), wrong);
  }
});

test("the API's /metrics counts requests by route, never by run id, and exports the daily budget and the rollout", async () => {
  await fetch(`${base}/v1/runs/devcrew-some-run-123/events`).catch(() => undefined);
  const text = await (await fetch(`${base}/metrics`)).text();
  assert.match(text, /devcrew_api_requests_total\{route="\/v1\/alerts",method="POST",status="200"\} \d+/);
  assert.match(text, /devcrew_daily_budget_usd 7\.5/);
  assert.match(text, /devcrew_rollout_crew_percent 0/);
  assert.doesNotMatch(text, /devcrew-some-run-123/);
});
