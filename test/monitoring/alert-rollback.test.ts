import { telemetry } from './metrics-runtime'; // first: the runtime with metrics
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { METRICS } from '../../contracts/metrics';
import { MONITORING_DIR } from '../../runtime/monitoring';
import type { Stack } from '../../runtime/stack';
import { apiClient, until, type Json } from '../support/api';
import { launchBrowser } from '../support/browser';
import { REPO_ROOT } from '../support/cli';
import { startTestStack, type TestStack } from '../support/stack';
import { freePort } from '../support/ports';

/**
 * The whole alerting chain, real: workers export metrics through the Temporal SDK, Prometheus scrapes
 * them (and the API and its pollers), evaluates deploy/monitoring/rules.yml, Alertmanager sends the
 * crew failure alert to POST /v1/alerts, and the rollout goes to 0% naming the alert. Intervals are
 * short (1 s scrapes, `for: 0s`) so it takes seconds, not minutes. Then /dashboard in Chromium.
 */
const TOKEN = 'alerts-e2e-token-77aa';
const PREFIX = 'alerts-e2e-';
const OUTPUT = path.join(REPO_ROOT, 'test-output');
let t: TestStack;
let stack: Stack;
let api: string;
let prometheus: string;

before(async () => {
  assert.ok(telemetry.metricsAddress, 'the workers serve metrics');
  t = await startTestStack({
    prefix: PREFIX,
    token: TOKEN,
    env: { DEVCREW_DAILY_BUDGET_USD: '3' },
    stack: {
      monitoring: {
        prometheusPort: await freePort(),
        alertmanagerPort: await freePort(),
        scrapeInterval: '1s',
        evaluationInterval: '1s',
        groupWait: '1s',
        groupInterval: '1s',
        repeatInterval: '1m',
        alertFor: '0s',
      },
    },
  });
  ({ stack, api } = t);
  prometheus = stack.monitoring!.prometheusUrl;
});
after(async () => t?.stop());

const http = apiClient(() => api, TOKEN);

const ended = (runId: string) =>
  until(`run ${runId} to end`, async () => {
    const r = await http('GET', `/v1/runs/${runId}`);
    return ['running', 'awaiting_approval'].includes(r.body.status) ? undefined : r.body;
  });

async function query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as Json;
  assert.equal(body.status, 'success', `${expr}: ${JSON.stringify(body)}`);
  return body.data.result;
}
const total = async (expr: string) => (await query(expr)).reduce((s, r) => s + Number(r.value[1]), 0);

test('before any run, /dashboard says plainly that there is no data yet', { timeout: 60_000 }, async () => {
  const data = (await http('GET', '/v1/dashboard')).body;
  assert.deepEqual(data.runs, []);
  assert.equal(data.rollout.figures.crew.ended, 0);
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${api}/dashboard`, { waitUntil: 'load' });
    // People are configured (the token), so the page asks for a credential before it shows anything.
    await page.waitForSelector('#signin:not([hidden])', { timeout: 30_000 });
    await page.fill('#token', TOKEN);
    await page.click('#signin button');
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
    assert.match((await page.textContent('#runs-empty')) ?? '', /No runs yet\. Start one: devcrew run/);
    assert.ok(await page.isVisible('#runs-empty'));
    assert.ok(await page.isVisible('#timeline-empty'), 'the timeline says no run ended yet');
    assert.match((await page.textContent('#figures-crew')) ?? '', /no runs yet/);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});

test(
  'failing crew runs: the alert fires in Prometheus, Alertmanager calls the API, the rollout goes to 0% naming the alert',
  { timeout: 420_000 },
  async () => {
    // The rollout's own auto-rollback is off: what rolls back here is the alert.
    const armed = await http('PUT', '/v1/rollout', {
      percent: 100,
      reason: 'alert test: crew for every auto run',
      auto_rollback: { enabled: false },
    });
    assert.equal(armed.status, 200, JSON.stringify(armed.body));

    // Every run counter exists at 0 before the first run (the rules' increase() sees the first failure).
    await until('Prometheus to scrape the zeroed run counters', async () =>
      (await query('devcrew_runs_total{mode="crew",status="failed"} == 0')).length === 1 &&
      (await query('devcrew_runs_total{mode="crew",status="completed"} == 0')).length === 1
        ? true
        : undefined,
    );

    // A good run of each mode first, so the figures have both.
    const good = await Promise.all(
      (['crew', 'single-agent'] as const).map((mode) =>
        http('POST', '/v1/runs', {
          request: 'Create simple SMA crossover strategy',
          options: { mode, gates: { plan: false } },
        }),
      ),
    );
    for (const g of good) assert.equal((await ended(g.body.run_id)).status, 'completed');

    // Three runs whose tests keep failing, and two that fail at planning (the model has nothing for
    // the request): every way of failing counts.
    const failing = await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        http('POST', '/v1/runs', {
          request:
            i <= 3
              ? 'Create daily returns calculator'
              : 'Write a function that converts Roman numerals to integers',
          options: { mode: 'crew', gates: { plan: false }, max_debug_rounds: 0 },
        }),
      ),
    );
    for (const f of failing) assert.equal((await ended(f.body.run_id)).status, 'failed');
    const planningFailures = (
      await Promise.all(failing.map(async (f) => (await ended(f.body.run_id)).error as string))
    ).filter((e) => /MODEL_BAD_REQUEST/.test(e));
    assert.equal(planningFailures.length, 2, 'two runs failed at planning');
    const lastFailure = Date.now();

    const alert = await until('DevcrewRunFailureRateHigh firing in Prometheus', async () => {
      const res = (await (await fetch(`${prometheus}/api/v1/alerts`)).json()) as Json;
      return (res.data.alerts as Json[]).find(
        (a) =>
          a.labels.alertname === 'DevcrewRunFailureRateHigh' &&
          a.labels.mode === 'crew' &&
          a.state === 'firing',
      );
    });
    assert.match(
      alert.annotations.summary,
      /More than 20% of crew runs failed over 15 minutes \((8\d(\.\d+)?)%\)/,
    );
    const state = await until('the rollout rolled back by the alert', async () => {
      const s = (await http('GET', '/v1/rollout')).body.state;
      return s.percent === 0 ? s : undefined;
    });
    const secondsToRollback = (Date.now() - lastFailure) / 1000;
    assert.equal(state.audit[0].action, 'rollback');
    // Alertmanager, named with the credential it called with (here the bootstrap token).
    assert.equal(state.audit[0].by, 'alertmanager (devcrew-api) as bootstrap-admin');
    assert.equal(state.audit[0].credential_id, 'bootstrap');
    assert.match(
      state.audit[0].reason,
      /^alert DevcrewRunFailureRateHigh firing: More than 20% of crew runs failed/,
    );
    const next = await http('POST', '/v1/runs', { request: 'Create simple SMA crossover strategy' });
    assert.equal(next.body.mode, 'single-agent', 'auto runs now go to the single agent');
    await ended(next.body.run_id);

    // Prometheus holds what the runs did, as GET /v1/rollout counts it from Temporal visibility.
    const view = (await http('GET', '/v1/rollout')).body;
    await until('Prometheus to have scraped the last run', async () =>
      (await total('sum(devcrew_runs_total{mode="single-agent"})')) === view.figures['single-agent'].ended
        ? true
        : undefined,
    );
    assert.equal(
      await total('sum(devcrew_runs_total{mode="crew",status="failed"})'),
      view.figures.crew.failed,
    );
    assert.equal(
      await total('sum(devcrew_runs_total{mode="crew",status="completed"})'),
      view.figures.crew.completed,
    );
    assert.equal(
      await total('sum(devcrew_fix_iterations_count{mode="single-agent"})'),
      view.figures['single-agent'].ended,
    );
    assert.ok((await total('sum(devcrew_model_calls_total)')) >= 10, 'model calls, cache hits included');
    assert.ok((await total('sum(devcrew_sandbox_jobs_total{status="ok"})')) >= 5);
    assert.ok((await total('sum(devcrew_task_attempts_total)')) >= 8);
    assert.ok((await total('sum(devcrew_tasks_total{status="failed"})')) >= 3);
    assert.equal(await total('devcrew_daily_budget_usd'), 3);
    const pollers = await query('devcrew_task_queue_pollers');
    assert.deepEqual(pollers.map((p) => p.metric.kind).sort(), ['agents', 'runs', 'sandbox']);
    assert.ok(
      pollers.every((p) => Number(p.value[1]) > 0),
      'every agent kind polls',
    );
    assert.equal(await total('min(up{job=~"devcrew-.*"})'), 1, 'the workers and the API are scraped');

    // Every expression of the rules and the Grafana dashboard parses and runs against this Prometheus.
    const rules = await fs.readFile(path.join(MONITORING_DIR, 'rules.yml'), 'utf8');
    const dashboard = JSON.parse(
      await fs.readFile(path.join(MONITORING_DIR, 'grafana-dashboard.json'), 'utf8'),
    ) as { panels: { title: string; targets: { expr: string }[] }[] };
    const exprs = [
      ...[...rules.matchAll(/expr: (.+)/g)].map((m) => m[1]!),
      ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)),
    ];
    for (const expr of exprs) await query(expr);
    const empty: string[] = [];
    for (const p of dashboard.panels)
      for (const t of p.targets) if ((await query(t.expr)).length === 0) empty.push(`${p.title}: ${t.expr}`);

    // No label carries a run id, in the workers' metrics or the API's.
    const workerText = await (await fetch(`http://${stack.metricsAddress}/metrics`)).text();
    const apiText = await (await fetch(`${api}/metrics`)).text();
    for (const id of [...failing, ...good].map((f) => f.body.run_id as string)) {
      assert.ok(!workerText.includes(id) && !apiText.includes(id), `${id} in a label`);
    }
    // One real sample of each devcrew metric, for whoever reads the closing note.
    await fs.mkdir(OUTPUT, { recursive: true });
    assert.match(workerText, /^temporal_workflow_completed_total\{/m, "the SDK's own metrics, with _total");
    assert.match(workerText, /^temporal_activity_execution_latency_bucket\{/m);
    const samples = Object.values(METRICS).map((m) => {
      const lines = workerText
        .split('\n')
        .filter((l) => l.startsWith(m.kind === 'counter' ? `${m.exported}{` : `${m.exported}_sum`));
      return lines.find((l) => !/ 0$/.test(l)) ?? lines[0] ?? `${m.exported}: none`;
    });
    await fs.writeFile(
      path.join(OUTPUT, 'metrics-samples.txt'),
      [
        ...samples,
        `seconds from the last failed run to the rollback: ${secondsToRollback.toFixed(1)}`,
        `dashboard queries with no data here: ${empty.length ? empty.join('; ') : 'none'}`,
        '',
      ].join('\n'),
    );
  },
);

test(
  '/dashboard in Chromium: no console errors, its figures are those of GET /v1/rollout and Prometheus',
  { timeout: 120_000 },
  async () => {
    const view = (await http('GET', '/v1/rollout')).body;
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
      await page.goto(`${api}/dashboard`, { waitUntil: 'load' });
      // People are configured (the token), so the page asks for a credential before it shows anything.
      await page.waitForSelector('#signin:not([hidden])', { timeout: 30_000 });
      // The browser logs the 401 that made the page ask; from the sign-in on, nothing may go wrong.
      assert.deepEqual(problems, [
        'error: Failed to load resource: the server responded with a status of 401 (Unauthorized)',
      ]);
      problems.length = 0;
      await page.fill('#token', TOKEN);
      await page.click('#signin button');
      await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
      assert.ok(await page.isHidden('#signin'), 'the form is gone once the token is in');
      assert.equal(await page.textContent('#rollout-percent'), '0%');
      for (const mode of ['crew', 'single-agent']) {
        const f = view.figures[mode];
        const field = (name: string) => page.textContent(`#figures-${mode} dd[data-field="${name}"]`);
        assert.equal(await field('ended'), String(f.ended), mode);
        assert.equal(await field('failed'), String(f.failed), mode);
        assert.equal(await field('success_rate'), `${Math.round(f.success_rate * 1000) / 10}%`, mode);
      }
      const alerts = (await page.textContent('#alerts')) ?? '';
      assert.match(alerts, /DevcrewRunFailureRateHigh firing \(crew\)/);
      const sandboxErrors = await total('sum(devcrew_sandbox_jobs_total{status="sandbox_error"})');
      assert.equal(await page.textContent('#quality dd[data-field="sandbox_errors"]'), String(sandboxErrors));
      const bandit = await total('sum(devcrew_build_findings_total{tool="bandit"})');
      assert.equal(await page.textContent('#quality dd[data-field="build_bandit"]'), String(bandit));
      assert.ok(await page.isVisible('#chart-cost'), 'the cost chart is drawn');
      assert.ok(await page.isVisible('#chart-success'), 'the success chart is drawn');
      const rows = await page.locator('#runs tbody tr').count();
      assert.ok(rows >= 8, `${rows} runs listed`);
      await fs.mkdir(OUTPUT, { recursive: true });
      await page.screenshot({ path: path.join(OUTPUT, 'dashboard.png'), fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  },
);
