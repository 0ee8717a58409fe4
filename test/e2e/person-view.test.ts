import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import type { RunEvent } from '../../contracts';
import { launchBrowser } from '../support/browser';
import { devcrew, REPO_ROOT } from '../support/cli';
import { startTestStack, type TestStack } from '../support/stack';

/**
 * What a person sees: the plan before approving (terminal, status, HTTP, Web UI), the code where they
 * are, a live event stream that survives a reconnect, the run list, and a quiet terminal.
 * Screenshots go to test-output/ (git-ignored).
 */
const TOKEN = 'person-view-token-3e9b';
const PREFIX = 'person-view-';
const OUTPUT = path.join(REPO_ROOT, 'test-output');
const run = promisify(execFile);
let t: TestStack;
let stateDir: string;
let workDir: string;
let api: string;
let address: string;
let webUi: string | undefined;

before(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-person-cwd-'));
  await fs.mkdir(OUTPUT, { recursive: true });
  t = await startTestStack({ prefix: PREFIX, token: TOKEN, ui: true });
  ({ stateDir, api, address, webUiUrl: webUi } = t);
});
after(async () => {
  await t?.stop();
  await fs.rm(workDir, { recursive: true, force: true });
});

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

/** Reads Server-Sent Events until `stop` says so or the server ends the stream. */
async function readEvents(
  url: string,
  headers: Record<string, string>,
  stop: (e: RunEvent) => boolean,
): Promise<{ events: RunEvent[]; ended: boolean }> {
  const abort = new AbortController();
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${TOKEN}`, ...headers },
    signal: abort.signal,
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events: RunEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body!) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let split: number;
      while ((split = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, split);
        buffer = buffer.slice(split + 2);
        const id = /^id: (\d+)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!id || !data) continue;
        const event = JSON.parse(data) as RunEvent;
        assert.equal(event.seq, Number(id), 'the SSE id is the event seq');
        events.push(event);
        if (stop(event)) {
          abort.abort();
          return { events, ended: false };
        }
      }
    }
  } catch (err) {
    if (!abort.signal.aborted) throw err;
  }
  return { events, ended: true };
}

const cliEnv = () => ({
  TEMPORAL_ADDRESS: address,
  DEVCREW_TASK_QUEUE_PREFIX: PREFIX,
  DEVCREW_STATE_DIR: stateDir,
  DEVCREW_LOG_LEVEL: 'WARN',
});

test(
  'the event stream shows the run as it happens, resumes after a reconnect with Last-Event-ID, and ends with the run',
  { timeout: 300_000 },
  async () => {
    const started = await http('POST', '/v1/runs', { request: 'Create simple SMA crossover strategy' });
    const id = started.body.run_id as string;
    const url = `${api}/v1/runs/${id}/events`;
    const first = await readEvents(url, {}, (e) => e.type === 'gate_opened');
    assert.deepEqual(
      first.events.map((e) => e.type),
      ['run_started', 'plan_ready', 'gate_opened'],
    );
    assert.equal(first.events.at(-1)!.gate_kind, 'plan');

    // The plan a person approves: every task with role, dependencies, tests, timeout and approval.
    const waiting = (await http('GET', `/v1/runs/${id}`)).body;
    assert.equal(waiting.status, 'awaiting_approval');
    const coder = waiting.plan.tasks.find((t: Json) => t.id === 'task_coder_001');
    assert.deepEqual(
      [coder.agent_role, coder.dependencies, coder.acceptance_criteria.tests[0].cmd, coder.timeout_seconds],
      ['coder', ['task_architect_001'], 'pytest -q tests/test_sma_strategy.py', 600],
    );
    assert.equal(waiting.budget_usd, 1);

    await http('POST', `/v1/runs/${id}/approvals/plan`, { decision: 'approve', approver: 'ana' });
    const middle = await readEvents(
      url,
      { 'last-event-id': String(first.events.at(-1)!.seq) },
      (e) => e.type === 'task_started',
    );
    assert.equal(middle.events[0]!.seq, first.events.at(-1)!.seq + 1, 'no event lost at the reconnect');
    assert.equal(middle.events[0]!.type, 'gate_decided');
    const rest = await readEvents(url, { 'last-event-id': String(middle.events.at(-1)!.seq) }, () => false);
    assert.ok(rest.ended, 'the stream ends when the run ends');
    const all = [...first.events, ...middle.events, ...rest.events];
    assert.deepEqual(
      all.map((e) => e.seq),
      all.map((_, i) => i + 1),
      'every event once, in order',
    );
    assert.equal(all.at(-1)!.type, 'run_finished');
    assert.equal(all.at(-1)!.status, 'completed');
    assert.ok(all.some((e) => e.type === 'step_finished' && /tester/.test(e.message)));

    // An ended run replays its whole stream, and bad input is a JSON error.
    const replay = await readEvents(url, {}, () => false);
    assert.equal(replay.events.length, all.length);
    const bad = await fetch(url, {
      headers: { authorization: `Bearer ${TOKEN}`, 'last-event-id': 'soon' },
    });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as Json).error.message, /Last-Event-ID/);
    const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
    assert.equal((await fetch(`${api}/v1/runs/devcrew-nope/events`, auth)).status, 404);

    if (webUi) {
      const browser = await launchBrowser();
      try {
        const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
        await page.goto(`${webUi}/namespaces/default/workflows/${id}`, { waitUntil: 'domcontentloaded' });
        await page
          .getByText('Crew: Create simple SMA crossover strategy')
          .first()
          .waitFor({ timeout: 60_000 });
        await page
          .getByText(/Coder: task_coder_001/)
          .first()
          .waitFor({ timeout: 30_000 });
        await page.screenshot({ path: path.join(OUTPUT, 'web-ui-run.png'), fullPage: true });
        const body = (await page.textContent('body')) ?? '';
        assert.match(body, /Tester: task_tester_001/);
      } finally {
        await browser.close();
      }
    }
  },
);

test(
  'at the plan gate the terminal shows the whole plan; after approval the code lands in ./devcrew-output/<run>/',
  { timeout: 300_000 },
  async () => {
    const session = `devcrew-plan-${process.pid}`;
    const env = Object.entries({ ...cliEnv(), DEVCREW_API_TOKEN: TOKEN })
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    await run('tmux', ['new-session', '-d', '-s', session, '-x', '180', '-y', '50', '-c', workDir]);
    try {
      await run('tmux', [
        'send-keys',
        '-t',
        session,
        `${env} node ${path.join(REPO_ROOT, 'bin/devcrew.js')} run "Create simple SMA crossover strategy"`,
        'Enter',
      ]);
      const pane = async () => (await run('tmux', ['capture-pane', '-p', '-t', session])).stdout;
      const until = async (re: RegExp, seconds = 120) => {
        const deadline = Date.now() + seconds * 1000;
        for (;;) {
          const text = await pane();
          if (re.test(text)) return text;
          if (Date.now() > deadline) throw new Error(`terminal never showed ${re}:\n${text}`);
          await new Promise((r) => setTimeout(r, 300));
        }
      };
      const atGate = await until(/approve\? \[y\/N/);
      for (const expected of [
        /plan todo_sma_crossover_001 for "Create simple SMA crossover strategy": 3 task\(s\), budget \$1\.00/,
        /task\s+role\s+title\s+depends on\s+acceptance tests\s+timeout\s+approval/,
        /task_coder_001\s+coder\s+Implement the SMA crossover strategy\s+task_architect_001\s+pytest -q tests\/test_sma_strategy\.py\s+600 s\s+no/,
        /task_tester_001\s+tester/,
      ]) {
        assert.match(atGate, expected);
      }
      await fs.writeFile(path.join(OUTPUT, 'terminal-plan-gate.txt'), atGate);
      await screenshotText(atGate, path.join(OUTPUT, 'terminal-plan-gate.png'));
      await run('tmux', ['send-keys', '-t', session, 'y', 'Enter']);
      const done = await until(
        /files: +\S*devcrew-output\/devcrew-create-simple-sma-crossover-strategy-\w+/,
        180,
      );
      assert.match(done, /run devcrew-create-simple-sma-crossover-strategy-\w+ completed/);
      const runId = /run (devcrew-create-simple-sma-crossover-strategy-\w+) completed/.exec(done)![1]!;
      const out = path.join(workDir, 'devcrew-output', runId);
      assert.match(await fs.readFile(path.join(out, 'codes/sma_strategy.py'), 'utf8'), /class SmaCrossover/);
      assert.ok((await fs.readdir(path.join(out, 'tests'))).includes('test_sma_strategy.py'));
      assert.deepEqual(
        await fs.readdir(workDir),
        ['devcrew-output'],
        'nothing written outside the output folder',
      );
    } finally {
      await run('tmux', ['kill-session', '-t', session]).catch(() => undefined);
    }
  },
);

test(
  '--approve-plan logs the plan it approved; --out chooses the folder; devcrew status and devcrew runs show the run',
  { timeout: 300_000 },
  async () => {
    const out = path.join(workDir, 'chosen');
    const done = await devcrew(
      ['run', 'Create simple SMA crossover strategy', '--approve-plan', '--mode', 'crew', '--out', out],
      { env: cliEnv(), cwd: workDir },
    );
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /task_architect_001\s+architect\s+Contract for the SMA crossover strategy/);
    assert.match(done.stdout, /approved plan \(plan todo_sma_crossover_001, 3 tasks\) with --approve-plan/);
    assert.match(done.stdout, new RegExp(`files: +${out}`));
    assert.ok((await fs.readdir(path.join(out, 'codes'))).includes('sma_strategy.py'));
    const runId = /run (devcrew-\S+) completed/.exec(done.stdout)![1]!;

    const status = await devcrew(['status', runId], { env: cliEnv() });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`run ${runId}: completed`));
    assert.match(status.stdout, /mode: +crew \(asked for crew\)/);
    assert.match(status.stdout, /task_tester_001\s+tester\s+Run the acceptance tests with coverage/);

    const runs = await devcrew(['runs', '--mode', 'crew'], { env: cliEnv() });
    assert.equal(runs.code, 0, runs.stderr);
    assert.match(runs.stdout, /^run\s+status\s+mode\s+cost\s+started \(UTC\)\s+request$/m);
    assert.match(
      runs.stdout,
      new RegExp(
        `${runId}\\s+completed\\s+crew\\s+\\$0\\.0000\\s+\\d{4}-\\d\\d-\\d\\d [\\d:]+\\s+Create simple SMA crossover strategy`,
      ),
    );
    const none = await devcrew(['runs', '--mode', 'single-agent'], { env: cliEnv() });
    assert.match(none.stdout, /no runs match/);
    const bad = await devcrew(['runs', '--status', 'done'], { env: cliEnv() });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown --status "done"; use one of running, awaiting_approval, completed/);
  },
);

test('a worker prints no warnings about the queues it does not poll', { timeout: 120_000 }, async () => {
  const child = spawn(
    process.execPath,
    [path.join(REPO_ROOT, 'bin/devcrew.js'), 'worker', '--kind', 'runs,agents'],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, ...cliEnv() },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!/workers polling/.test(stdout) && Date.now() < deadline && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 200));
  }
  await new Promise((r) => setTimeout(r, 2_000)); // time for any warning to be printed
  child.kill('SIGINT');
  await new Promise((r) => child.once('close', r));
  assert.match(stdout, /workers polling person-view-devcrew-runs, person-view-devcrew-agents/);
  assert.doesNotMatch(stderr, /WARN/, stderr);
});

/** The terminal's text as a picture (for the screenshot): a page of monospace text in Chromium. */
async function screenshotText(text: string, file: string): Promise<void> {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
    const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
    await page.setContent(
      `<body style="margin:0;background:#111;color:#ddd"><pre style="font:14px/1.35 monospace;padding:16px">${escaped}</pre></body>`,
    );
    await page.screenshot({ path: file, fullPage: true });
  } finally {
    await browser.close();
  }
}
