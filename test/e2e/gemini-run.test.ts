import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadRecordings } from '../../models/doubles';
import { type Stack } from '../../runtime/stack';
import { startTestStack, type TestStack } from '../support/stack';
import { FakeGemini, type RecordedRequest } from '../fakes/fake-gemini';

const KEY = 'AIza-e2e-fake-gemini-key-5c1e0d7f3a';
const TOKEN = 'e2e-gemini-token-1234';
let fake: FakeGemini;
let t: TestStack;
let stack: Stack;
let stateDir: string;

/** The fake Gemini answers each agent with the SMA recording's answer for its role, read from the system prompt. */
function answerLikeTheRecording(req: RecordedRequest) {
  const recording = loadRecordings().get('create simple sma crossover strategy')!;
  const system = JSON.stringify(req.body.systemInstruction ?? '');
  const role = (['Planner', 'Architect', 'Coder', 'Debugger'] as const).find((r) =>
    system.includes(`You are the ${r}`),
  )!;
  const answer = recording.answers.find((a) => a.role === role.toLowerCase())!;
  return { kind: 'json' as const, value: answer.value, inputTokens: 2_000, outputTokens: 1_000 };
}

before(async () => {
  fake = await new FakeGemini().start();
  fake.fallback = answerLikeTheRecording;
  t = await startTestStack({
    prefix: 'gemini-e2e-',
    token: TOKEN,
    env: { DEVCREW_MODEL_PROVIDER: 'gemini', GEMINI_API_KEY: KEY, GEMINI_BASE_URL: fake.url },
  });
  ({ stack, stateDir } = t);
});
after(async () => {
  await t?.stop();
  await fake?.stop();
});

test(
  'a run through the real Gemini SDK against the fake Gemini server completes, priced, with the key nowhere',
  { timeout: 300_000 },
  async () => {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
    const started = await fetch(`${stack.apiUrl}/v1/runs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        request: 'Create simple SMA crossover strategy',
        options: { gates: { plan: false } },
      }),
    });
    const { run_id } = (await started.json()) as { run_id: string };
    let run:
      | {
          status: string;
          model: { provider: string; name: string };
          usage: { calls: number; cost_usd: number };
          usage_by_role: Record<string, { calls: number; cost_usd: number }>;
        }
      | undefined;
    for (let i = 0; i < 600; i++) {
      const res = await fetch(`${stack.apiUrl}/v1/runs/${run_id}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      run = (await res.json()) as typeof run;
      if (run && !['running', 'awaiting_approval'].includes(run.status)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(run?.status, 'completed', JSON.stringify(run).slice(0, 2000));
    assert.deepEqual(run!.model, { provider: 'gemini', name: 'gemini-3.8-flash' });
    assert.equal(run!.usage.calls, 3, 'planner, architect, coder');
    assert.ok(run!.usage.cost_usd > 0, 'tokens are priced');
    assert.deepEqual(Object.keys(run!.usage_by_role).sort(), ['architect', 'coder', 'planner']);
    const perRole = Object.values(run!.usage_by_role).reduce((s, u) => s + u.cost_usd, 0);
    assert.ok(Math.abs(perRole - run!.usage.cost_usd) < 1e-9, 'cost per role adds up to the cost of the run');
    assert.equal(fake.requests.length, 3);
    assert.ok(
      fake.requests.every((r) => r.headers['x-goog-api-key'] === KEY),
      'the key reached the provider',
    );

    const history = JSON.stringify(await stack.client.workflow.getHandle(run_id).fetchHistory());
    assert.ok(!history.includes(KEY), 'the key is not in the workflow history');
    const log = execFileSync('git', ['--git-dir', path.join(stateDir, 'artifacts'), 'log', '--all', '-p'], {
      encoding: 'utf8',
    });
    assert.match(log, /model_name.*gemini\/gemini-3\.8-flash/);
    assert.ok(!log.includes(KEY), 'the key is not in any commit');
  },
);
