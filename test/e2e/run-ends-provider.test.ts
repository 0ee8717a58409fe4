import { telemetry } from '../monitoring/metrics-runtime'; // first: the runtime with metrics
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEFAULT_MODELS } from '../../models/catalog';
import { FakeOpenAi, type OpenAiReply, type OpenAiRequest } from '../fakes/fake-openai';
import { recordedAnswer, roleOf } from '../fakes/recorded-answers';
import { until, type Json } from '../support/api';
import { runViews } from '../support/run-views';
import { startTestStack, type TestStack } from '../support/stack';

/**
 * The ends a real provider brings (the model retired mid-run, an outage past the retry window, answers
 * that never fit the contract, the budget spent and its extension refused), for the crew and the single
 * agent, through the real openai SDK against a fake of OpenAI's REST API: every view says `failed`,
 * with the error's code, and the figures count the run once.
 */
const TOKEN = 'run-ends-provider-token-77d1';
const PREFIX = 'ends-provider-';
const REQUEST = 'Create simple SMA crossover strategy';
const MODEL = DEFAULT_MODELS.openai;
let fake: FakeOpenAi;
let t: TestStack;
/** What the fake answers; each test sets it. */
let answer: (req: OpenAiRequest) => OpenAiReply;

before(async () => {
  assert.ok(telemetry.metricsAddress, 'the workers serve metrics');
  fake = await new FakeOpenAi().start();
  fake.fallback = (req) => answer(req);
  t = await startTestStack({
    prefix: PREFIX,
    token: TOKEN,
    env: {
      DEVCREW_MODEL_PROVIDER: 'openai',
      DEVCREW_MODEL: undefined,
      OPENAI_API_KEY: 'sk-run-ends-provider-000',
      OPENAI_BASE_URL: fake.url,
      DEVCREW_MODEL_CACHE: 'off',
      DEVCREW_MODEL_RETRY_WINDOW_SECONDS: '6',
    },
  });
});
after(async () => {
  await t?.stop();
  await fake?.stop();
});

const { http, runsTotal, start, closed, assertEverywhere } = runViews({
  stack: () => t,
  token: TOKEN,
  prefix: PREFIX,
  metricsAddress: telemetry.metricsAddress!,
});

const systemOf = (req: OpenAiRequest) =>
  (req.body.messages as { role: string; content: string }[])[0]?.content ?? '';
const isSingleAgent = (req: OpenAiRequest) => systemOf(req).includes('single AI developer agent');

/** A good model's answer for every role, at `tokens` input tokens a call. */
const good =
  (tokens = 120) =>
  (req: OpenAiRequest): OpenAiReply => ({
    kind: 'json',
    inputTokens: tokens,
    value: isSingleAgent(req) ? failingCode() : recordedAnswer(REQUEST, roleOf(systemOf(req))),
  });

/** The single agent's answer: code and a test that fails against it (so a second attempt is needed). */
const failingCode = () => ({
  task_id: 'single_agent',
  files: [{ path: 'codes/sma.py', content: 'def crossover(fast, slow):\n    return 0\n' }],
  tests: [
    {
      path: 'tests/test_sma.py',
      content:
        'from codes.sma import crossover\n\n\ndef test_crossover():\n    assert crossover([2], [1]) == 1\n',
    },
  ],
  notes: '',
});

for (const mode of ['crew', 'single-agent'] as const) {
  test(`${mode}: the model retired mid-run (404) ends it failed with MODEL_NOT_FOUND, everywhere`, async () => {
    answer = good();
    const before = await runsTotal(mode, 'failed');
    fake.served.splice(fake.served.indexOf(MODEL), 1);
    try {
      const id = await start(REQUEST, { mode, gates: { plan: false } });
      const ended = await closed(id);
      assert.match(ended.error, /MODEL_NOT_FOUND/);
      assert.match(ended.error, new RegExp(MODEL.replace(/\./g, '\\.')), 'the error names the model');
      await assertEverywhere(id, mode, 'failed', before, true);
    } finally {
      fake.served.unshift(MODEL);
    }
  });

  test(`${mode}: an outage past the retry window ends it failed with MODEL_RETRY_WINDOW_EXCEEDED, everywhere`, async () => {
    answer = () => ({ kind: 'status', status: 503, message: 'The server is overloaded.' });
    const before = await runsTotal(mode, 'failed');
    const id = await start(REQUEST, { mode, gates: { plan: false } });
    const ended = await closed(id);
    assert.match(ended.error, /MODEL_RETRY_WINDOW_EXCEEDED/);
    assert.match(ended.error, /DEVCREW_MODEL_RETRY_WINDOW_SECONDS=6/);
    await assertEverywhere(id, mode, 'failed', before, true);
  });

  test(`${mode}: answers that never fit the contract end it failed with INVALID_AGENT_OUTPUT, everywhere`, async () => {
    answer = () => ({ kind: 'json', value: { tasks: 'none', files: 3 } });
    const before = await runsTotal(mode, 'failed');
    const id = await start(REQUEST, { mode, gates: { plan: false } });
    const ended = await closed(id);
    assert.match(ended.error, /\[INVALID_AGENT_OUTPUT\] .*does not match the expected shape/);
    assert.doesNotMatch(
      ended.error,
      /\[INVALID_AGENT_OUTPUT\] \[INVALID_AGENT_OUTPUT\]/,
      'the code said once',
    );
    await assertEverywhere(id, mode, 'failed', before, true);
  });

  test(`${mode}: the budget spent and its extension refused ends it failed with BUDGET_EXCEEDED, everywhere`, async () => {
    // A million input tokens a call: the first call spends more than the run's $0.05.
    answer = good(1_000_000);
    const before = await runsTotal(mode, 'failed');
    const id = await start(REQUEST, { mode, gates: { plan: false }, budget_usd: 0.05 });
    const gate = await until('the budget gate', async () => {
      const run = (await http('GET', `/v1/runs/${id}`)).body;
      return (run.pending_gates as Json[] | undefined)?.find((g) => g.kind === 'budget');
    });
    const refused = await http('POST', `/v1/runs/${id}/approvals/${gate.gate_id}`, {
      decision: 'reject',
      approver: 'ana',
      comment: 'no more spend on this one',
    });
    assert.equal(refused.status, 200, JSON.stringify(refused.body));
    const ended = await closed(id);
    assert.match(ended.error, /BUDGET_EXCEEDED/);
    assert.ok(ended.usage.cost_usd > 0.05, `the run spent past its budget: ${ended.usage.cost_usd}`);
    await assertEverywhere(id, mode, 'failed', before, true);
  });
}

test("crew: a plan still invalid after the Planner's repair rounds ends the run failed, naming the problem, everywhere", async () => {
  const plan = recordedAnswer(REQUEST, 'planner') as { tasks: { id: string; dependencies: string[] }[] };
  const broken = {
    ...plan,
    tasks: plan.tasks.map((task, i) => (i === 0 ? { ...task, dependencies: ['no_such_task'] } : task)),
  };
  answer = (req) => (roleOf(systemOf(req)) === 'planner' ? { kind: 'json', value: broken } : good()(req));
  const before = await runsTotal('crew', 'failed');
  const id = await start(REQUEST, { mode: 'crew', gates: { plan: false } });
  const ended = await closed(id);
  assert.match(ended.error, /\[INVALID_AGENT_OUTPUT\] the Planner gave no valid TodoList in \d+ rounds/);
  assert.match(ended.error, /no_such_task/, 'the problem names the unknown task');
  await assertEverywhere(id, 'crew', 'failed', before, true);
});
