import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import { modelFromEnv } from '../../models/config';
import { costOf, DEFAULT_PRICES } from '../../models/prices';
import { scriptedClient, type Recording } from '../../models/scripted';
import { ModelError } from '../../models/types';
import { FakeGemini } from '../fakes/fake-gemini';

let stateDir: string;
let fake: FakeGemini;
before(async () => {
  stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-models-'));
  fake = await new FakeGemini().start();
});
after(async () => {
  await fake?.stop();
  await fs.rm(stateDir, { recursive: true, force: true });
});

const Plan = z.strictObject({ steps: z.array(z.string()) });
const ask = (setup: ReturnType<typeof modelFromEnv>, prompt = 'Plan SMA') =>
  setup.model.generateJson({
    role: 'planner',
    system: 'Plan.',
    prompt,
    schema: Plan,
    scriptKey: 'Create simple SMA crossover strategy',
  });

test('with no provider and no key, the scripted test double runs and says so', () => {
  const setup = modelFromEnv(stateDir, {});
  assert.equal(setup.model.info.provider, 'scripted');
  assert.match(setup.description, /^scripted \(a test double .*no DEVCREW_MODEL_PROVIDER and no API key set/);
});

test('bad model settings name the variable and what it expects', () => {
  assert.throws(
    () => modelFromEnv(stateDir, { DEVCREW_MODEL_PROVIDER: 'claude' }),
    /DEVCREW_MODEL_PROVIDER: Invalid option/,
  );
  assert.throws(() => modelFromEnv(stateDir, { DEVCREW_MODEL_PROVIDER: 'gemini' }), /needs GEMINI_API_KEY/);
  assert.throws(
    () => modelFromEnv(stateDir, { GEMINI_API_KEY: 'k', GEMINI_BASE_URL: 'localhost:9' }),
    /GEMINI_BASE_URL: expected an http\(s\) URL/,
  );
});

test('an identical second request is answered from the disk cache with zero model calls', async () => {
  const env = {
    GEMINI_API_KEY: 'fake-key-123456789',
    GEMINI_BASE_URL: fake.url,
    DEVCREW_MODEL: 'gemini-2.0-flash',
  };
  fake.reply({
    kind: 'json',
    value: { steps: ['architect', 'coder'] },
    inputTokens: 1000,
    outputTokens: 500,
  });
  const first = modelFromEnv(stateDir, env);
  const a = await ask(first);
  assert.equal(a.cached, false);
  assert.match(a.prompt_hash ?? '', /^sha256:[0-9a-f]{64}$/);
  const calls = fake.requests.length;

  const second = modelFromEnv(stateDir, env); // a new process, the same state dir
  const b = await ask(second);
  assert.equal(fake.requests.length, calls, 'no call reached the model');
  assert.deepEqual(b.value, a.value);
  assert.equal(b.cached, true);
  assert.equal(b.prompt_hash, a.prompt_hash);
  assert.deepEqual(second.cache, { hits: 1, misses: 0 });

  fake.reply({ kind: 'json', value: { steps: ['other'] } });
  await ask(second, 'Plan momentum');
  assert.equal(fake.requests.length, calls + 1, 'a different prompt is a miss');

  const off = modelFromEnv(stateDir, { ...env, DEVCREW_MODEL_CACHE: 'off' });
  fake.reply({ kind: 'json', value: { steps: ['again'] } });
  await ask(off);
  assert.equal(fake.requests.length, calls + 2, 'with the cache off every call reaches the model');
});

test('cost follows the price table per model; scripted costs nothing', () => {
  const usage = { input_tokens: 1_000_000, output_tokens: 500_000 };
  assert.equal(
    costOf(DEFAULT_PRICES, { provider: 'gemini', name: 'gemini-2.0-flash' }, usage).toFixed(6),
    '0.300000',
  );
  assert.equal(costOf(DEFAULT_PRICES, { provider: 'scripted', name: 'scripted' }, usage), 0);
  assert.ok(
    costOf(DEFAULT_PRICES, { provider: 'openai', name: 'unknown-model' }, usage) > 0,
    'provider fallback',
  );
});

test('the scripted model replays per role and prompt, and names what it lacks', async () => {
  const recording: Recording = {
    request: 'Create simple SMA crossover strategy',
    answers: [
      { role: 'planner', value: { steps: ['plan'] } },
      { role: 'coder', match: 'round 2', value: { steps: ['fixed'] } },
      { role: 'coder', value: { steps: ['first'] } },
    ],
  };
  const client = scriptedClient(new Map([['create simple sma crossover strategy', recording]]));
  const coder = (prompt: string) =>
    client.generateJson({
      role: 'coder',
      system: '',
      prompt,
      schema: Plan,
      scriptKey: 'Create simple SMA crossover strategy.',
    });
  assert.deepEqual((await coder('task x round 1')).value, { steps: ['first'] });
  assert.deepEqual((await coder('task x round 2')).value, { steps: ['fixed'] });
  await assert.rejects(
    client.generateJson({ role: 'planner', system: '', prompt: '', schema: Plan, scriptKey: 'Write an OS' }),
    (err: unknown) =>
      err instanceof ModelError &&
      /no recording for "Write an OS"; it knows "Create simple SMA/.test(err.message),
  );
});
