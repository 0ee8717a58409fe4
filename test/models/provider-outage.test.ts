import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FakeGemini, type GeminiReply } from '../fakes/fake-gemini';
import { recordedAnswer, roleOf } from '../fakes/recorded-answers';
import { pollRun, providerStack, startRun, type Run } from './run-support';

const REQUEST = 'Create simple SMA crossover strategy';
const OUTAGE_MS = 45_000;

let fake: FakeGemini;
let env: Awaited<ReturnType<typeof providerStack>>;
/** When the Coder's calls answer again: 45 s after the Coder's first call. */
let outageEnds: number | undefined;
const coderReplies: GeminiReply['kind'][] = [];

before(async () => {
  fake = await new FakeGemini().start();
  fake.fallback = (req) => {
    const role = roleOf(req.body.systemInstruction);
    let reply: GeminiReply = { kind: 'json', value: recordedAnswer(REQUEST, role) };
    if (role === 'coder') {
      outageEnds ??= Date.now() + OUTAGE_MS;
      // The outage alternates the ways a provider fails: 500s, 503s with Retry-After, cut connections.
      const n = coderReplies.length;
      if (Date.now() < outageEnds) {
        reply =
          n % 3 === 0
            ? { kind: 'status', status: 500, message: 'Internal error encountered.' }
            : n % 3 === 1
              ? { kind: 'status', status: 503, retryAfter: '2', message: 'The model is overloaded.' }
              : { kind: 'cut' };
      }
      coderReplies.push(reply.kind);
    }
    return reply;
  };
  // A test-sized window, still far longer than the task's max_retries and its backoff would last.
  env = await providerStack(
    {
      GEMINI_API_KEY: 'AIza-outage-key-9f8e7d6c5b',
      GEMINI_BASE_URL: fake.url,
      DEVCREW_MODEL_RETRY_WINDOW_SECONDS: '150',
    },
    { prefix: 'provider-outage-', sandbox: true },
  );
});
after(async () => {
  await env?.stop();
  await fake?.stop();
});

test(
  "a 45-second outage of the Coder's provider is ridden out: the run waits for the provider, says so, and completes",
  { timeout: 420_000 },
  async () => {
    const runId = await startRun(env.stack, { request: REQUEST, options: { gates: { plan: false } } });
    const seen: Run[] = [];
    const run = await pollRun(env.stack, runId, () => false, seen);
    assert.equal(run.status, 'completed', JSON.stringify(run).slice(0, 2000));

    const plan = recordedAnswer(REQUEST, 'planner') as {
      tasks: { agent_role: string; max_retries: number }[];
    };
    const maxRetries = plan.tasks.find((t) => t.agent_role === 'coder')!.max_retries;
    const failed = coderReplies.filter((k) => k !== 'json').length;
    assert.ok(
      failed > maxRetries + 1,
      `the outage took ${failed} failed calls, more than the task's max_retries + 1 would have allowed`,
    );
    assert.deepEqual(
      [...new Set(coderReplies.filter((k) => k !== 'json'))].sort(),
      ['cut', 'status'],
      '500s, 503s and cut connections were all ridden out',
    );

    const waiting = seen.map((v) => v.waiting_for).filter((w) => w);
    assert.ok(waiting.length > 0, 'GET /v1/runs/{id} showed the wait while it lasted');
    assert.equal(waiting[0]!.kind, 'model_provider');
    assert.equal(waiting[0]!.activity, 'code');
    assert.match(waiting.at(-1)!.last_error, /MODEL_UNAVAILABLE.*Gemini \(gemini-3\.8-flash at/);
    assert.ok(Math.max(...waiting.map((w) => w!.attempts)) > 3);
    assert.equal(run.waiting_for ?? null, null, 'no wait is shown once the run is done');
  },
);
