import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_MODELS } from '../../models/catalog';
import { DEFAULT_PRICES, rateFor } from '../../models/prices';
import { FakeGemini, type GeminiReply } from '../fakes/fake-gemini';
import { FakeOpenAi } from '../fakes/fake-openai';
import { recordedAnswer, roleOf } from '../fakes/recorded-answers';
import { cancelRun, pollRun, providerStack, startRun, type Run } from './run-support';

const REQUEST = 'Create simple SMA crossover strategy';
const THINKING = 200_000;

/** USD the table charges for one call: the test's own arithmetic over the table's rates. */
function expectedCost(
  model: { provider: 'gemini' | 'openai'; name: string },
  tokens: { input: number; billedOutput: number },
) {
  const rate = rateFor(DEFAULT_PRICES, model, new Date())!;
  return (tokens.input * rate.input_per_million + tokens.billedOutput * rate.output_per_million) / 1_000_000;
}

const budgetGate = (r: Run) => r.pending_gates?.some((g) => g.kind === 'budget') ?? false;

describe('runs through the real Gemini SDK', () => {
  let fake: FakeGemini;
  let env: Awaited<ReturnType<typeof providerStack>>;
  /** What the fake answers per role; a test swaps it. */
  let answer: (role: ReturnType<typeof roleOf>) => GeminiReply;

  before(async () => {
    fake = await new FakeGemini().start();
    fake.fallback = (req) => answer(roleOf(req.body.systemInstruction));
    env = await providerStack(
      {
        GEMINI_API_KEY: 'AIza-provider-runs-key-1a2b3c4d',
        GEMINI_BASE_URL: fake.url,
        DEVCREW_MODEL_RETRY_WINDOW_SECONDS: '20',
      },
      { prefix: 'provider-gemini-' },
    );
  });
  after(async () => {
    await env?.stop();
    await fake?.stop();
  });

  test(
    "Gemini's thinking tokens are priced at the output rate into the run's cost, and the budget gate stops the run on them",
    { timeout: 120_000 },
    async () => {
      answer = (role) => ({
        kind: 'json',
        value: recordedAnswer(REQUEST, role),
        inputTokens: 2_000,
        outputTokens: 1_000,
        thoughtTokens: THINKING,
      });
      const runId = await startRun(env.stack, {
        request: REQUEST,
        options: { gates: { plan: false }, budget_usd: 0.5 },
      });
      const run = await pollRun(env.stack, runId, budgetGate);
      try {
        assert.ok(budgetGate(run), `the run waits at a budget gate: ${JSON.stringify(run).slice(0, 800)}`);
        const model = { provider: 'gemini' as const, name: DEFAULT_MODELS.gemini };
        assert.deepEqual(run.model, model, "devcrew's default model answered");
        assert.equal(run.usage.calls, 1, 'only the Planner was paid for');
        assert.equal(run.usage.thought_tokens, THINKING);
        const cost = expectedCost(model, { input: 2_000, billedOutput: 1_000 + THINKING });
        assert.equal(run.usage.cost_usd.toFixed(6), cost.toFixed(6));
        assert.equal(run.usage_by_role.planner?.cost_usd.toFixed(6), cost.toFixed(6));
        assert.ok(
          expectedCost(model, { input: 2_000, billedOutput: 1_000 }) < 0.5,
          'without the thinking tokens the run would have gone on: they are what reached the budget',
        );
        assert.equal(run.usage.unpriced_calls ?? 0, 0);
      } finally {
        await cancelRun(env.stack, runId);
      }
    },
  );

  test(
    'a 404 for the model mid-run fails the step at once with the clear message, not retried',
    { timeout: 120_000 },
    async () => {
      const name = DEFAULT_MODELS.gemini;
      answer = (role) => {
        // Google retires the model right after the Planner's answer.
        if (role === 'planner') fake.served.splice(fake.served.indexOf(name), 1);
        return { kind: 'json', value: recordedAnswer(REQUEST, role) };
      };
      const before = fake.requests.length;
      try {
        const runId = await startRun(env.stack, { request: REQUEST, options: { gates: { plan: false } } });
        const run = await pollRun(env.stack, runId, () => false);
        assert.equal(run.status, 'failed');
        const architect = run.tasks.find((t) => t.agent_role === 'architect');
        assert.equal(architect?.status, 'failed');
        assert.match(architect?.error ?? '', /MODEL_NOT_FOUND/);
        assert.match(
          architect?.error ?? '',
          new RegExp(`does not serve the model "${name.replace(/\./g, '\\.')}"`),
        );
        assert.match(
          architect?.error ?? '',
          /set DEVCREW_MODEL to a model it serves, e\.g\. gemini-3\.6-flash/,
        );
        const calls = fake.requests.slice(before).map((r) => roleOf(r.body.systemInstruction));
        assert.deepEqual(calls, ['planner', 'architect'], 'the refused call was not tried again');
      } finally {
        fake.served.unshift(name);
      }
    },
  );

  test(
    'a provider that keeps answering 500 fails the run after DEVCREW_MODEL_RETRY_WINDOW_SECONDS, saying so',
    { timeout: 180_000 },
    async () => {
      answer = () => ({ kind: 'status', status: 500, message: 'Internal error encountered.' });
      const before = fake.requests.length;
      const runId = await startRun(env.stack, { request: REQUEST, options: { gates: { plan: false } } });
      const run = await pollRun(env.stack, runId, () => false);
      assert.equal(run.status, 'failed');
      const error = 'error' in run ? (run.error ?? '') : '';
      assert.match(error, /MODEL_RETRY_WINDOW_EXCEEDED/);
      assert.match(
        error,
        /kept failing for \d+ s over \d+ attempt\(s\), longer than DEVCREW_MODEL_RETRY_WINDOW_SECONDS=20/,
      );
      assert.match(error, /Gemini \(gemini-3\.8-flash at http:\/\/127\.0\.0\.1:\d+\) failed \(500\)/);
      assert.ok(
        fake.requests.length - before > 4,
        "more attempts than the Planner's max_retries would allow",
      );
    },
  );
});

describe('runs through the real openai SDK', () => {
  let fake: FakeOpenAi;
  let env: Awaited<ReturnType<typeof providerStack>>;

  before(async () => {
    fake = await new FakeOpenAi().start();
    fake.fallback = (req) => {
      const system = (req.body.messages as { role: string; content: string }[])[0]?.content;
      return {
        kind: 'json',
        value: recordedAnswer(REQUEST, roleOf(system)),
        inputTokens: 2_000,
        outputTokens: 1_000 + THINKING, // OpenAI counts reasoning inside completion_tokens
        reasoningTokens: THINKING,
        cachedTokens: 1_024,
      };
    };
    env = await providerStack(
      { DEVCREW_MODEL_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-provider-runs-000', OPENAI_BASE_URL: fake.url },
      { prefix: 'provider-openai-' },
    );
  });
  after(async () => {
    await env?.stop();
    await fake?.stop();
  });

  test(
    "OpenAI's reasoning tokens are priced once, cached input at the cache rate, and the budget gate sees them",
    { timeout: 120_000 },
    async () => {
      const runId = await startRun(env.stack, {
        request: REQUEST,
        options: { gates: { plan: false }, budget_usd: 0.5 },
      });
      const run = await pollRun(env.stack, runId, budgetGate);
      try {
        assert.ok(budgetGate(run), `the run waits at a budget gate: ${JSON.stringify(run).slice(0, 800)}`);
        const model = { provider: 'openai' as const, name: DEFAULT_MODELS.openai };
        assert.deepEqual(run.model, model);
        assert.equal(run.usage.thought_tokens, THINKING);
        assert.equal(run.usage.output_tokens, 1_000, 'the answer without its reasoning');
        assert.equal(run.usage.cached_input_tokens, 1_024);
        const rate = rateFor(DEFAULT_PRICES, model, new Date())!;
        const cost =
          ((2_000 - 1_024) * rate.input_per_million +
            1_024 * rate.cached_input_per_million! +
            (1_000 + THINKING) * rate.output_per_million) /
          1_000_000;
        assert.equal(run.usage.cost_usd.toFixed(6), cost.toFixed(6), 'reasoning billed once, not twice');
        assert.equal(fake.requests[0]?.body.temperature, undefined, 'no temperature for a reasoning model');
      } finally {
        await cancelRun(env.stack, runId);
      }
    },
  );
});
