import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { before, test } from 'node:test';
import YAML from 'yaml';
import { API_METRICS, METRICS, type MetricDefinition } from '../../contracts/metrics';
import { silentReport } from '../../core/report';
import { OPERATOR_DEFAULTS } from '../../deploy/monitoring/defaults';
import { MONITORING_DIR, alertmanagerConfig, prometheusConfig, rulesWith } from '../../runtime/monitoring';
import { ensureMonitoringTools, type MonitoringTools } from '../../runtime/provision/monitoring';

/**
 * The monitoring files as Prometheus's own tools read them: `promtool test rules` (every alert fires on
 * a series that should fire it, stays quiet just under its line), `promtool check config`, `amtool
 * check-config`; the operators' configs in step with what `devcrew up --monitoring` writes; and every
 * series the rules and the Grafana dashboard name is one devcrew exports.
 */
const run = promisify(execFile);
let tools: MonitoringTools;
let amtool: string;

before(async () => {
  tools = await ensureMonitoringTools(silentReport);
  amtool = path.join(path.dirname(tools.alertmanager), 'amtool');
});

const promtool = (args: string[], cwd = MONITORING_DIR) =>
  run(tools.promtool, args, { cwd }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );

test('promtool: every alert fires above its line and stays quiet just under it (rules.test.yml)', async () => {
  const checked = await promtool(['check', 'rules', 'rules.yml']);
  assert.equal(checked.code, 0, checked.out);
  assert.match(checked.out, /SUCCESS: 16 rules found/);
  const tested = await promtool(['test', 'rules', 'rules.test.yml']);
  assert.equal(tested.code, 0, tested.out);
  assert.match(tested.out, /SUCCESS/);

  // Every alert has a firing case and a quiet case in the tests.
  const rules = YAML.parse(await fs.readFile(path.join(MONITORING_DIR, 'rules.yml'), 'utf8')) as {
    groups: { rules: { alert?: string; annotations?: Record<string, string> }[] }[];
  };
  const alerts = rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r] : [])));
  const tests = YAML.parse(await fs.readFile(path.join(MONITORING_DIR, 'rules.test.yml'), 'utf8')) as {
    tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
  };
  const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
  for (const a of alerts) {
    const mine = cases.filter((c) => c.alertname === a.alert);
    assert.ok(
      mine.some((c) => c.exp_alerts.length > 0),
      `${a.alert} has a case where it fires`,
    );
    assert.ok(
      mine.some((c) => c.exp_alerts.length === 0),
      `${a.alert} has a case where it stays quiet`,
    );
    assert.ok(
      a.annotations?.summary && a.annotations.description,
      `${a.alert} says what happened and what to do`,
    );
  }
});

test('the rule tests can fail: a failure-rate line moved from 20% to 30% breaks them', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-rules-'));
  try {
    const rules = await fs.readFile(path.join(MONITORING_DIR, 'rules.yml'), 'utf8');
    const moved = rules.replace(
      'mode:devcrew_runs_failure_ratio:15m > 0.2',
      'mode:devcrew_runs_failure_ratio:15m > 0.3',
    );
    assert.notEqual(moved, rules);
    await fs.writeFile(path.join(dir, 'rules.yml'), moved);
    await fs.copyFile(path.join(MONITORING_DIR, 'rules.test.yml'), path.join(dir, 'rules.test.yml'));
    const tested = await promtool(['test', 'rules', 'rules.test.yml'], dir);
    assert.notEqual(tested.code, 0);
    assert.match(tested.out, /DevcrewRunFailureRateHigh/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test("the operators' prometheus.yml and alertmanager.yml are what the code writes, and both tools accept them", async () => {
  for (const [file, text] of [
    ['prometheus.yml', prometheusConfig(OPERATOR_DEFAULTS)],
    ['alertmanager.yml', alertmanagerConfig(OPERATOR_DEFAULTS)],
  ] as const) {
    const committed = await fs.readFile(path.join(MONITORING_DIR, file), 'utf8');
    assert.deepEqual(
      YAML.parse(committed),
      YAML.parse(text),
      `${file} is out of step with runtime/monitoring.ts`,
    );
  }
  const config = await promtool(['check', 'config', 'prometheus.yml']);
  assert.equal(config.code, 0, config.out);
  const am = await run(amtool, ['check-config', path.join(MONITORING_DIR, 'alertmanager.yml')]).catch(
    (e: Error & { stdout: string }) => ({ stdout: `${e.message}${e.stdout}` }),
  );
  assert.match(am.stdout, /SUCCESS/);
});

test('the test pacing (every `for` set to 0s) keeps the rules valid', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-rules-'));
  try {
    await fs.writeFile(path.join(dir, 'rules.yml'), await rulesWith({ alertFor: '0s' }));
    const checked = await promtool(['check', 'rules', 'rules.yml'], dir);
    assert.equal(checked.code, 0, checked.out);
    assert.doesNotMatch(await fs.readFile(path.join(dir, 'rules.yml'), 'utf8'), /for: [1-9]/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('every devcrew series the rules and the Grafana dashboard name is one devcrew exports', async () => {
  const exported = new Set<string>([
    'devcrew_task_queue_pollers',
    'devcrew_rollout_crew_percent',
    'devcrew_daily_budget_usd',
  ]);
  for (const m of Object.values(METRICS) as MetricDefinition[]) {
    if (m.kind === 'counter') exported.add(m.exported);
    else for (const s of ['_bucket', '_sum', '_count']) exported.add(`${m.exported}${s}`);
  }
  exported.add(API_METRICS.requests);
  for (const s of ['_bucket', '_sum', '_count']) exported.add(`${API_METRICS.duration}${s}`);
  const rulesText = await fs.readFile(path.join(MONITORING_DIR, 'rules.yml'), 'utf8');
  const recorded = new Set([...rulesText.matchAll(/record: (\S+)/g)].map((m) => m[1]!));
  const dashboard = JSON.parse(
    await fs.readFile(path.join(MONITORING_DIR, 'grafana-dashboard.json'), 'utf8'),
  ) as {
    panels: { targets: { expr: string }[] }[];
  };
  const exprs = [
    ...[...rulesText.matchAll(/expr: (.+)/g)].map((m) => m[1]!),
    ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)),
  ];
  const unknown: string[] = [];
  for (const expr of exprs) {
    for (const [name] of expr.matchAll(/\b[a-z_:]*devcrew_[a-z0-9_:]+/g)) {
      if (!exported.has(name) && !recorded.has(name)) unknown.push(`${name} (in ${expr})`);
    }
  }
  assert.deepEqual(unknown, []);
  assert.ok(dashboard.panels.length >= 10);
});
