import { telemetry } from '../monitoring/metrics-runtime'; // first: the runtime with metrics
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiClient, until, type Json } from '../support/api';
import { launchBrowser } from '../support/browser';
import { devcrew, REPO_ROOT } from '../support/cli';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startStack } from '../../runtime/stack';
import { freePort } from '../support/ports';
import { startTestStack, type TestStack } from '../support/stack';

/**
 * The ramp moving itself on the real stack (Temporal server, workers, Docker sandbox, Git, the scripted
 * model) with a fast clock: the analysis every 2 s, stages baked in 1 s. Every run here names its mode,
 * so the test decides which mode each run is; the rollout's percent is what the ramp moves.
 */
const TOKEN = 'ramp-e2e-token-91f0';
const PREFIX = 'ramp-e2e-';
const SMA = 'Create simple SMA crossover strategy';
const NO_RECORDING = 'Write a function that converts Roman numerals to integers';
let t: TestStack;
before(async () => {
  assert.ok(telemetry.metricsAddress, 'the workers serve metrics');
  t = await startTestStack({ prefix: PREFIX, token: TOKEN });
});
after(async () => t?.stop());

const http = apiClient(() => t.api, TOKEN);
const cliEnv = () => ({
  TEMPORAL_ADDRESS: t.address,
  DEVCREW_STATE_DIR: t.stateDir,
  DEVCREW_TASK_QUEUE_PREFIX: PREFIX,
});

const FAST = {
  enabled: true,
  check_seconds: 2,
  bake_seconds: 1,
  min_runs: 1,
  min_ratings: 1,
  max_time_ratio: 100,
  min_mean_rating: 4,
};

async function setRollout(change: Json): Promise<Json> {
  // The older failure-rate rollback is off here: these tests are about the ramp's own decisions.
  const res = await http('PUT', '/v1/rollout', {
    reason: 'ramp test',
    by: 'ramp-test',
    auto_rollback: { enabled: false },
    ...change,
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.state;
}
const state = async (): Promise<Json> => (await http('GET', '/v1/rollout')).body.state;

async function run(request: string, mode: 'crew' | 'single-agent'): Promise<Json> {
  const res = await http('POST', '/v1/runs', { request, options: { mode, gates: { plan: false } } });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  const id = res.body.run_id as string;
  return until(`run ${id} to end`, async () => {
    const r = (await http('GET', `/v1/runs/${id}`)).body;
    return ['running', 'awaiting_approval'].includes(r.status) ? undefined : r;
  });
}

async function rate(runId: string, rating: number, comment?: string): Promise<void> {
  const res = await http('POST', `/v1/runs/${runId}/feedback`, {
    rating,
    by: 'ana',
    ...(comment ? { comment } : {}),
  });
  assert.equal(res.status, 202, JSON.stringify(res.body));
}

async function ratingsCount(mode: string): Promise<number> {
  const text = await (await fetch(`http://${telemetry.metricsAddress}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('devcrew_run_ratings_count{') && l.includes(`mode="${mode}"`))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

test('a rating is checked: 1-5 only, on a run that exists and has ended', { timeout: 120_000 }, async () => {
  const bad = await http('POST', '/v1/runs/whatever/feedback', { rating: 7 });
  assert.equal(bad.status, 400);
  assert.match(JSON.stringify(bad.body), /rating must be a whole number from 1 \(bad\) to 5 \(great\)/);
  const missing = await http('POST', '/v1/runs/devcrew-no-such-run/feedback', { rating: 4 });
  assert.equal(missing.status, 404, JSON.stringify(missing.body));
  const started = await http('POST', '/v1/runs', {
    request: SMA,
    options: { mode: 'crew', gates: { plan: true } },
  });
  const id = started.body.run_id as string;
  await until('the plan gate', async () =>
    (await http('GET', `/v1/runs/${id}`)).body.status === 'awaiting_approval' ? true : undefined,
  );
  const early = await http('POST', `/v1/runs/${id}/feedback`, { rating: 4 });
  assert.equal(early.status, 409, JSON.stringify(early.body));
  assert.equal(early.body.error.code, 'RUN_NOT_ENDED');
  await http('POST', `/v1/runs/${id}/cancel`, {});
  const noAuth = await fetch(`${t.api}/v1/runs/${id}/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ rating: 4 }),
  });
  assert.equal(noAuth.status, 401);
});

test(
  '`devcrew run` in a terminal offers to rate the run at its end, and keeps the answer',
  {
    timeout: 180_000,
  },
  async () => {
    // `script` gives the command a terminal, as a person's shell would; the answer is typed ahead.
    const command = [
      process.execPath,
      path.join(REPO_ROOT, 'bin/devcrew.js'),
      'run',
      `"${SMA}"`,
      '--mode',
      'single-agent',
      '--no-export',
    ].join(' ');
    const out = await new Promise<string>((resolve) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], {
        cwd: REPO_ROOT,
        env: { ...process.env, ...cliEnv(), USER: 'cy' },
      });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.on('close', () => resolve(text));
      child.stdin.write('3 slow but right\n');
    });
    assert.match(out, /rate this run 1 \(bad\) to 5 \(great\)/);
    assert.match(out, /rated 3\/5: thank you/);
    const runId = /(devcrew-[a-z0-9-]+)/.exec(out)?.[1];
    const kept = await until('the rating in the rollout', async () =>
      (await state()).ratings.find((r: Json) => r.by === 'cy' && r.run_id === runId),
    );
    assert.deepEqual([kept.rating, kept.comment, kept.mode], [3, 'slow but right', 'single-agent']);
  },
);

test('short data holds the stage, saying what it waits for', { timeout: 120_000 }, async () => {
  await setRollout({ enabled: true, percent: 10, analysis: { ...FAST, min_runs: 3 } });
  const held = await until('an analysis of the 10% stage', async () => {
    const s = await state();
    const a = s.stage_log[0]?.last_analysis;
    return s.stage_log[0]?.percent === 10 && a ? a : undefined;
  });
  assert.equal(held.decision, 'hold');
  assert.ok(held.criteria.includes('min_runs'), JSON.stringify(held));
  assert.match(held.reasons.join(' '), /waiting for runs: crew 0, single agent 0 of 3 each/);
  assert.equal((await state()).percent, 10);
});

test(
  'a crew as good as the single agent and rated well climbs 10 → 25 → 50 → 75 → 100 by itself, one stage per analysis',
  { timeout: 900_000 },
  async () => {
    await setRollout({ enabled: true, percent: 10, stages: [10, 25, 50, 75, 100], analysis: FAST });
    const ratedBefore = await ratingsCount('crew');
    for (const [from, to] of [
      [10, 25],
      [25, 50],
      [50, 75],
      [75, 100],
    ] as const) {
      const [crew, single] = await Promise.all([run(SMA, 'crew'), run(SMA, 'single-agent')]);
      assert.equal(crew.status, 'completed', crew.error);
      assert.equal(single.status, 'completed', single.error);
      if (from === 10) {
        // The CLI's way, once.
        const cli = await devcrew(['rate', crew.run_id, '5', '-m', 'clean code, good tests', '--as', 'ana'], {
          env: cliEnv(),
        });
        assert.equal(cli.code, 0, cli.stderr);
        assert.match(cli.stdout, new RegExp(`rated ${crew.run_id} \\(crew\\) 5/5 as ana`));
      } else await rate(crew.run_id, 5);
      const s = await until(`the ramp to promote ${from}% → ${to}%`, async () => {
        const now = await state();
        return now.percent === to ? now : undefined;
      });
      const promote = s.audit[0];
      assert.equal(promote.action, 'promote');
      assert.equal(promote.by, 'devcrew ramp');
      assert.deepEqual([promote.from.percent, promote.to.percent], [from, to], 'one stage per analysis');
      assert.equal(promote.analysis.decision, 'promote');
      assert.ok(promote.analysis.crew.ended >= 1 && promote.analysis.single_agent.ended >= 1);
      assert.equal(promote.analysis.crew.mean_rating, 5);
      assert.ok(promote.analysis.time_ratio > 0);
      assert.match(promote.reason, new RegExp(`every criterion held: .* ${from}% → ${to}%`));
      assert.equal(s.stage_log[1].percent, from);
      assert.equal(s.stage_log[1].outcome, 'promoted');
    }
    const last = await until('an analysis at 100%', async () => {
      const a = (await state()).stage_log[0]?.last_analysis;
      return a?.percent === 100 ? a : undefined;
    });
    assert.equal(last.decision, 'hold');
    assert.match(last.reasons.join(' '), /waiting for runs|the last stage/);
    assert.ok((await ratingsCount('crew')) >= ratedBefore + 4, 'devcrew_run_ratings counts every rating');
    const status = await devcrew(['rollout', 'status'], { env: cliEnv() });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /ramp on: every 2 s/);
    assert.match(status.stdout, /ratings: crew \d+ rating\(s\), mean 5\.00, 0 complaint\(s\)/);

    // The dashboard: the ramp as a timeline of stages with their analyses, and the ratings per mode.
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(`${t.api}/dashboard`, { waitUntil: 'load' });
      // Reads need a credential: the page asks for it once.
      await page.waitForSelector('#signin:not([hidden])', { timeout: 30_000 });
      await page.fill('#token', TOKEN);
      await page.click('#signin button');
      await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
      const stages = await page.$$eval('#ramp li', (lis) =>
        lis.map((li) => [li.getAttribute('data-stage'), li.getAttribute('data-outcome'), li.textContent]),
      );
      const climbed = stages.filter(([, outcome]) => outcome === 'promoted').map(([p]) => p);
      assert.deepEqual(climbed.slice(-4), ['10', '25', '50', '75'], JSON.stringify(stages));
      assert.deepEqual(stages.at(-1)?.slice(0, 2), ['100', 'running']);
      assert.match(
        stages.find(([p, o]) => p === '10' && o === 'promoted')?.[2] ?? '',
        /promote: every criterion held/,
      );
      assert.match(
        (await page.textContent('#ratings [data-field="crew"]')) ?? '',
        /5\.00 of 5 from \d+ rating\(s\), 0 complaint\(s\)/,
      );
      assert.ok(await page.isVisible('#ramp-card'));
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  },
);

test(
  'a crew more than the allowed times slower holds its stage, and says so once in the audit',
  {
    timeout: 300_000,
  },
  async () => {
    await setRollout({ enabled: true, percent: 25, analysis: { ...FAST, max_time_ratio: 0.01 } });
    const [crew] = await Promise.all([run(SMA, 'crew'), run(SMA, 'single-agent')]);
    await rate(crew.run_id, 5);
    const held = await until('a hold on time', async () => {
      const a = (await state()).stage_log[0]?.last_analysis;
      return a?.criteria.includes('max_time_ratio') ? a : undefined;
    });
    assert.equal(held.decision, 'hold');
    assert.match(held.reasons.join(' '), /crew median .* is [\d.]+x the single agent's .*, above 0.01x/);
    await new Promise((r) => setTimeout(r, 5_000)); // two more analyses
    const s = await state();
    assert.equal(s.percent, 25, 'it stays at its stage');
    const holds = s.audit.filter(
      (e: Json) => e.action === 'hold' && e.analysis.criteria.includes('max_time_ratio'),
    );
    assert.equal(holds.length, 1, 'the same hold is audited once, not at every analysis');
  },
);

test(
  'a crew that fails is rolled back with the reason and a snapshot; turned on again, it restarts at 5%',
  { timeout: 300_000 },
  async () => {
    await setRollout({ enabled: true, percent: 50, analysis: { ...FAST, min_runs: 2 } });
    const failed = await Promise.all([run(NO_RECORDING, 'crew'), run(NO_RECORDING, 'crew')]);
    for (const r of failed) assert.equal(r.status, 'failed');
    const s = await until('the ramp to roll back', async () => {
      const now = await state();
      return now.percent === 0 ? now : undefined;
    });
    const entry = s.audit[0];
    assert.equal(entry.action, 'auto-rollback');
    assert.equal(entry.by, 'devcrew ramp');
    assert.match(entry.reason, /crew success rate 0% \(0 of 2\) is below 70%/);
    assert.equal(s.rolled_back, true);
    const snapshot = s.snapshots[0];
    assert.equal(snapshot.percent, 50);
    for (const r of failed)
      assert.ok(snapshot.failing_runs.includes(r.run_id), 'the snapshot names the runs');
    const shown = await devcrew(['rollout', 'status'], { env: cliEnv() });
    assert.match(shown.stdout, /last rollback snapshot .* at 50%: crew success rate 0%/);

    const again = await setRollout({ enabled: true });
    assert.equal(again.percent, 5, 'after a rollback the ramp starts small');
    assert.equal(again.rolled_back, false);
  },
);

test(
  'a crew rated badly is rolled back for the complaints, which the snapshot keeps',
  {
    timeout: 300_000,
  },
  async () => {
    await setRollout({ enabled: true, percent: 50, analysis: { ...FAST, min_runs: 50 } });
    const crew = await run(SMA, 'crew');
    assert.equal(crew.status, 'completed');
    await rate(crew.run_id, 1, 'the strategy ignores the slow window');
    const s = await until('the ramp to roll back on complaints', async () => {
      const now = await state();
      return now.percent === 0 ? now : undefined;
    });
    assert.match(s.audit[0].reason, /100% of 1 crew ratings are complaints \(1-2\), above 30%/);
    assert.deepEqual(s.snapshots[0].complaining_runs, [
      { run_id: crew.run_id, rating: 1, comment: 'the strategy ignores the slow window' },
    ]);
  },
);

test(
  'a crew run that ships a high-severity security finding rolls the crew back at once',
  {
    timeout: 300_000,
  },
  async () => {
    await setRollout({ enabled: true, percent: 25, analysis: { ...FAST, min_runs: 50, min_ratings: 50 } });
    const request = 'Ramp: code that ships a high-severity finding';
    const started = await http('POST', '/v1/runs', {
      todo_list: {
        todo_list_id: 'todo_ramp_high_severity',
        request,
        tasks: [
          {
            id: 'task_coder_001',
            title: request,
            description: 'as recorded',
            agent_role: 'coder',
            acceptance_criteria: { tests: [{ cmd: 'pytest -q tests' }] },
            timeout_seconds: 300,
            max_retries: 1,
          },
        ],
      },
      // Under "warn" the build's findings do not stop the code: it reaches the integration branch.
      options: { mode: 'crew', build_policy: 'warn' },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const id = started.body.run_id as string;
    const ended = await until(`run ${id} to end`, async () => {
      const r = (await http('GET', `/v1/runs/${id}`)).body;
      return ['running', 'awaiting_approval'].includes(r.status) ? undefined : r;
    });
    assert.equal(ended.status, 'completed', ended.error);
    assert.equal(ended.tasks[0].build.security_high, 1, 'bandit found the shell=True call');
    const s = await until('the ramp to roll back on the finding', async () => {
      const now = await state();
      return now.percent === 0 ? now : undefined;
    });
    assert.equal(s.audit[0].action, 'auto-rollback');
    assert.match(s.audit[0].reason, /1 crew run\(s\) shipped a high-severity security finding/);
    assert.deepEqual(s.audit[0].analysis.criteria, ['security']);
  },
);

test('the analysis can be paused; a paused ramp does not move', { timeout: 120_000 }, async () => {
  const paused = await setRollout({ percent: 10, analysis: { ...FAST, enabled: false } });
  assert.equal(paused.analysis.enabled, false);
  await new Promise((r) => setTimeout(r, 5_000));
  const s = await state();
  assert.equal(s.percent, 10);
  assert.equal(s.stage_log[0].last_analysis, null, 'no analysis ran');
});

test(
  'a rating given while every worker is down is not lost: the rollout takes it when they return',
  {
    timeout: 300_000,
  },
  async () => {
    const crew = await run(SMA, 'crew');
    assert.equal(crew.status, 'completed');
    await t.stack.stop(); // the workers and the API of this deployment: only the Temporal server is left
    const rated = await devcrew(['rate', crew.run_id, '4', '-m', 'rated offline', '--as', 'bo'], {
      env: cliEnv(),
    });
    assert.equal(rated.code, 0, rated.stderr);
    const back = await startStack({
      report: () => undefined,
      temporalAddress: t.address,
      apiPort: await freePort(),
      queuePrefix: PREFIX,
    });
    try {
      const kept = await until('the rollout to hold the rating', async () => {
        const s = await back.rollout.state();
        return s.ratings.find((r) => r.run_id === crew.run_id && r.by === 'bo');
      });
      assert.deepEqual([kept.rating, kept.comment, kept.mode], [4, 'rated offline', 'crew']);
    } finally {
      await back.stop();
    }
  },
);
