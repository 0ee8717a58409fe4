import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import { readModelSettings } from '../../core/config';
import { createModel } from '../../models/config';

/** The model from an environment, as the assembly builds it. */
const modelFromEnv = (stateDir: string, env: NodeJS.ProcessEnv) =>
  createModel(readModelSettings(env), stateDir);
import { DEFAULT_MODELS } from '../../models/catalog';
import { costOf, DEFAULT_PRICES, rateFor } from '../../models/prices';
import { scriptedClient, type Recording } from '../../models/doubles';
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

test('with no provider and no key, the local model runs and says why; the scripted double only when asked for', () => {
  const setup = modelFromEnv(stateDir, {});
  assert.deepEqual(setup.model.info, { provider: 'local', name: 'qwen2.5-coder-1.5b' });
  assert.match(
    setup.description,
    /^local qwen2\.5-coder-1\.5b \(devcrew's default\) served by devcrew's llama\.cpp server at http:\/\/127\.0\.0\.1:8033\/v1: the default: no DEVCREW_MODEL_PROVIDER and no API key set$/,
  );
  const other = modelFromEnv(stateDir, {
    DEVCREW_MODEL_BASE_URL: 'http://127.0.0.1:11434/v1',
    DEVCREW_MODEL: 'qwen2.5-coder:7b',
  });
  assert.deepEqual(other.model.info, { provider: 'local', name: 'qwen2.5-coder:7b' });
  assert.match(other.description, /at http:\/\/127\.0\.0\.1:11434\/v1/);
  assert.throws(
    () => modelFromEnv(stateDir, { DEVCREW_MODEL: 'llama-70b' }),
    /DEVCREW_MODEL=llama-70b is not a model devcrew can run itself; use qwen2\.5-coder-0\.5b or qwen2\.5-coder-1\.5b, or set DEVCREW_MODEL_BASE_URL/,
  );
  const scripted = modelFromEnv(stateDir, { DEVCREW_MODEL_PROVIDER: 'scripted' });
  assert.equal(scripted.model.info.provider, 'scripted');
  assert.match(scripted.description, /^scripted \(a test double replaying recorded answers\)$/);
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
    DEVCREW_MODEL: 'gemini-3.8-flash',
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

test('cost counts every billed token: cached input at the cache rate, thinking at the output rate', () => {
  const model = { provider: 'gemini' as const, name: 'gemini-3.8-flash' };
  const rate = rateFor(DEFAULT_PRICES, model, new Date('2026-11-25'))!;
  const usage = {
    input_tokens: 1_000_000,
    cached_input_tokens: 400_000,
    output_tokens: 100_000,
    thought_tokens: 900_000,
  };
  const expected =
    (600_000 * rate.input_per_million +
      400_000 * rate.cached_input_per_million! +
      1_000_000 * rate.output_per_million) /
    1_000_000;
  const priced = costOf(DEFAULT_PRICES, model, usage, new Date('2026-11-25'));
  assert.equal(priced.price_known, true);
  assert.equal(priced.cost_usd.toFixed(6), expected.toFixed(6));
  const withoutThoughts = costOf(
    DEFAULT_PRICES,
    model,
    { ...usage, thought_tokens: 0 },
    new Date('2026-11-25'),
  );
  assert.ok(priced.cost_usd > withoutThoughts.cost_usd * 3, 'thinking is most of this bill');
  assert.deepEqual(costOf(DEFAULT_PRICES, { provider: 'scripted', name: 'scripted' }, usage), {
    cost_usd: 0,
    price_known: true,
  });
});

test('a price change on a set date applies from that date; a dated snapshot is priced as its model', () => {
  const model = { provider: 'gemini' as const, name: 'gemini-3.8-flash' };
  const before = rateFor(DEFAULT_PRICES, model, new Date('2026-12-31T23:00:00Z'))!;
  const after = rateFor(DEFAULT_PRICES, model, new Date('2027-01-01T00:00:00Z'))!;
  assert.ok(after.output_per_million > before.output_per_million, 'the introductory price ends');
  assert.deepEqual(
    rateFor(DEFAULT_PRICES, { provider: 'openai', name: 'gpt-6.1-terra-2026-10-26' }),
    rateFor(DEFAULT_PRICES, { provider: 'openai', name: 'gpt-6.1-terra' }),
  );
});

test('a model without a price is reported as unpriced, never priced by a guess', () => {
  const usage = { input_tokens: 1_000, output_tokens: 1_000 };
  for (const name of ['gemini-2.0-flash', 'some-new-model']) {
    assert.deepEqual(costOf(DEFAULT_PRICES, { provider: 'gemini', name }, usage), {
      cost_usd: 0,
      price_known: false,
    });
  }
  assert.deepEqual(costOf(DEFAULT_PRICES, { provider: 'openai', name: 'llama3.1' }, usage), {
    cost_usd: 0,
    price_known: false,
  });
});

test('DEVCREW_PRICE_TABLE adds prices (a provider-wide "*" included) and a bad one is refused naming what is wrong', async () => {
  const file = path.join(stateDir, 'prices.json');
  await fs.writeFile(
    file,
    JSON.stringify({
      'openai/*': { input_per_million: 0, output_per_million: 0 },
      'gemini/gemini-3.8-flash': { input_per_million: 2, output_per_million: 20 },
    }),
  );
  const setup = modelFromEnv(stateDir, {
    OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1',
    DEVCREW_MODEL_PROVIDER: 'openai',
    DEVCREW_MODEL: 'llama3.1',
    DEVCREW_PRICE_TABLE: file,
  });
  assert.deepEqual(costOf(setup.prices, setup.model.info, { input_tokens: 10, output_tokens: 10 }), {
    cost_usd: 0,
    price_known: true,
  });
  assert.equal(
    rateFor(setup.prices, { provider: 'gemini', name: 'gemini-3.8-flash' })?.output_per_million,
    20,
  );
  assert.ok(
    rateFor(setup.prices, { provider: 'gemini', name: 'gemini-3.5-flash' }),
    "devcrew's own entries stay",
  );

  const refused = async (table: unknown, why: RegExp) => {
    await fs.writeFile(file, JSON.stringify(table));
    assert.throws(
      () => modelFromEnv(stateDir, { GEMINI_API_KEY: 'k', DEVCREW_PRICE_TABLE: file }),
      (err: Error) => /DEVCREW_PRICE_TABLE=.*is not a price table/.test(err.message) && why.test(err.message),
    );
  };
  await refused(
    { 'gemini-3.8-flash': { input_per_million: 1, output_per_million: 1 } },
    /expected "provider\/model"/,
  );
  await refused(
    { 'gemini/gemini-3.8-flash': { input_per_million: -1, output_per_million: 1 } },
    /gemini\/gemini-3\.8-flash\.input_per_million: Too small/,
  );
});

test('the defaults are current models from the catalog, and the retry window is read and checked', () => {
  const gemini = modelFromEnv(stateDir, { GEMINI_API_KEY: 'k' });
  assert.equal(gemini.model.info.name, DEFAULT_MODELS.gemini);
  assert.equal(gemini.configured, false);
  assert.match(gemini.description, /\(devcrew's default\)/);
  assert.ok(rateFor(gemini.prices, gemini.model.info), 'the default model has a price');
  assert.equal(gemini.retryWindowSeconds, 300);
  // A model on this CPU may take minutes an answer: its outages are ridden out longer.
  assert.equal(modelFromEnv(stateDir, {}).retryWindowSeconds, 1800);
  const openai = modelFromEnv(stateDir, { OPENAI_API_KEY: 'k', DEVCREW_MODEL_RETRY_WINDOW_SECONDS: '45' });
  assert.equal(openai.model.info.name, DEFAULT_MODELS.openai);
  assert.ok(rateFor(openai.prices, openai.model.info), 'the default model has a price');
  assert.equal(openai.model.retryWindowSeconds, 45, 'the window reaches the activities with the client');
  assert.throws(
    () => modelFromEnv(stateDir, { GEMINI_API_KEY: 'k', DEVCREW_MODEL_RETRY_WINDOW_SECONDS: 'soon' }),
    /DEVCREW_MODEL_RETRY_WINDOW_SECONDS: expected a number of seconds/,
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
