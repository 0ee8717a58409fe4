import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import { openAiCompatibleClient } from '../../models/openai-compatible';
import { ModelError } from '../../models/types';
import { FakeOpenAi } from '../fakes/fake-openai';

const KEY = 'sk-fake-openai-key-never-shown-987654321';
const Answer = z.strictObject({ files: z.array(z.string()) });

let fake: FakeOpenAi;
let client: ReturnType<typeof openAiCompatibleClient>;
before(async () => {
  fake = await new FakeOpenAi({ served: ['llama3.1'] }).start(); // a local server (Ollama)
  client = openAiCompatibleClient({ apiKey: KEY, model: 'llama3.1', baseUrl: fake.url, timeoutMs: 2_000 });
});
after(() => fake?.stop());

const ask = () =>
  client.generateJson({ role: 'coder', system: 'Write code.', prompt: 'SMA', schema: Answer });

async function failure(): Promise<ModelError> {
  try {
    await ask();
  } catch (err) {
    assert.ok(err instanceof ModelError);
    assert.ok(!err.message.includes(KEY));
    return err;
  }
  assert.fail('expected a failure');
}

test('the real openai SDK sends a json_schema response format and returns the validated answer', async () => {
  fake.reply({ kind: 'json', value: { files: ['codes/sma_strategy.py'] } });
  const answer = await ask();
  assert.deepEqual(answer.value, { files: ['codes/sma_strategy.py'] });
  assert.deepEqual(answer.usage, {
    input_tokens: 120,
    output_tokens: 30,
    thought_tokens: 0,
    cached_input_tokens: 0,
  });
  const sent = fake.requests.at(-1)!;
  assert.equal(sent.headers.authorization, `Bearer ${KEY}`);
  assert.equal((sent.body.response_format as { type: string }).type, 'json_schema');
  assert.equal(sent.body.model, 'llama3.1');
});

test('faults map to codes: 429 with Retry-After, 503, timeout, 400, refusal, malformed JSON', async () => {
  fake.reply({ kind: 'status', status: 429, retryAfter: '3' });
  const limited = await failure();
  assert.deepEqual([limited.code, limited.retryAfterMs], ['MODEL_RATE_LIMITED', 3000]);
  fake.reply({ kind: 'status', status: 503 });
  assert.equal((await failure()).code, 'MODEL_UNAVAILABLE');
  fake.reply({ kind: 'slow', ms: 4_000, then: { kind: 'json', value: { files: [] } } });
  assert.equal((await failure()).code, 'MODEL_UNAVAILABLE');
  fake.reply({ kind: 'status', status: 400, message: 'unknown model' });
  const bad = await failure();
  assert.deepEqual([bad.code, bad.retryable], ['MODEL_BAD_REQUEST', false]);
  fake.reply({ kind: 'refusal', text: 'I cannot help with that' });
  assert.equal((await failure()).code, 'MODEL_SAFETY_BLOCK');
  // Prose instead of JSON gets one repair request, then fails naming both.
  fake.reply({ kind: 'text', text: 'Sure! Here is the code:' });
  fake.reply({ kind: 'text', text: 'Here it is again:' });
  const sentBefore = fake.requests.length;
  const invalid = await failure();
  assert.equal(invalid.code, 'INVALID_AGENT_OUTPUT');
  assert.match(invalid.message, /after one repair request/);
  assert.equal(fake.requests.length - sentBefore, 2, 'the answer and one repair request');
  // A repaired answer is used.
  fake.reply({ kind: 'text', text: 'Sure! Here is the code:' });
  fake.reply({ kind: 'json', value: { files: ['codes/a.py'] } });
  assert.deepEqual((await ask()).value, { files: ['codes/a.py'] });
  const repairAsk = fake.requests.at(-1)!.body.messages as { role: string; content: string }[];
  assert.match(repairAsk.at(-1)!.content, /JSON/);
});

test('reasoning tokens, already inside completion_tokens, are split out and not counted twice; cached tokens are read', async () => {
  fake.reply({
    kind: 'json',
    value: { files: [] },
    inputTokens: 5_000,
    outputTokens: 3_000,
    reasoningTokens: 2_600,
    cachedTokens: 4_096,
  });
  assert.deepEqual((await ask()).usage, {
    input_tokens: 5_000,
    output_tokens: 400,
    thought_tokens: 2_600,
    cached_input_tokens: 4_096,
  });
  // A compatible server counting reasoning outside completion_tokens shows it in total_tokens.
  fake.reply({
    kind: 'json',
    value: { files: [] },
    inputTokens: 100,
    outputTokens: 50,
    reasoningTokens: 900,
    reasoningOutsideCompletion: true,
  });
  assert.deepEqual((await ask()).usage, {
    input_tokens: 100,
    output_tokens: 50,
    thought_tokens: 900,
    cached_input_tokens: 0,
  });
});

test('against OpenAI, a reasoning model gets no temperature, a retired one fails MODEL_NOT_FOUND with served models named', async () => {
  const openai = await new FakeOpenAi().start();
  try {
    const terra = openAiCompatibleClient({ apiKey: KEY, model: 'gpt-6.1-terra', baseUrl: openai.url });
    openai.reply({ kind: 'json', value: { files: [] } });
    await terra.generateJson({ role: 'coder', system: 's', prompt: 'p', schema: Answer });
    assert.equal(openai.requests.at(-1)!.body.temperature, undefined);

    const retired = openAiCompatibleClient({ apiKey: KEY, model: 'gpt-4.1-mini', baseUrl: openai.url });
    const err = await retired
      .generateJson({ role: 'coder', system: 's', prompt: 'p', schema: Answer })
      .then(() => assert.fail('expected MODEL_NOT_FOUND'))
      .catch((e: unknown) => e as ModelError);
    assert.ok(err instanceof ModelError);
    assert.deepEqual([err.code, err.retryable], ['MODEL_NOT_FOUND', false]);
    assert.match(err.message, /does not serve the model "gpt-4\.1-mini"/);
    assert.match(err.message, /set DEVCREW_MODEL to a model it serves, e\.g\. gpt-6\.1-terra, /);
    assert.ok(!err.message.includes(KEY));
    assert.deepEqual(await retired.lookup!.get('gpt-4.1-mini'), undefined);
    assert.deepEqual(await retired.lookup!.get('gpt-6-luna'), { name: 'gpt-6-luna' });
  } finally {
    await openai.stop();
  }
});

test('a cut connection is a retryable MODEL_UNAVAILABLE', async () => {
  fake.reply({ kind: 'cut' });
  const err = await failure();
  assert.deepEqual([err.code, err.retryable], ['MODEL_UNAVAILABLE', true]);
});

test('a sampled fix round is seeded from what it asks: the same question the same seed, another question another', async () => {
  const fix = (prompt: string) =>
    client.generateJson({ role: 'debugger', system: 'Fix it.', prompt, schema: Answer, vary: true });
  for (let i = 0; i < 3; i++) fake.reply({ kind: 'json', value: { files: [] } });
  await fix('Round: 1');
  await fix('Round: 1');
  await fix('Round: 2');
  const [a, b, c] = fake.requests.slice(-3).map((r) => r.body);
  assert.equal(a!.temperature, 0.6);
  assert.equal(typeof a!.seed, 'number');
  assert.equal(a!.seed, b!.seed, 'the same question is sampled the same way');
  assert.notEqual(a!.seed, c!.seed, 'another round samples differently');
  // Temporal's next attempt of the same step (after an answer that ran away) is sampled otherwise.
  fake.reply({ kind: 'json', value: { files: [] } });
  await client.generateJson({
    role: 'debugger',
    system: 'Fix it.',
    prompt: 'Round: 1',
    schema: Answer,
    vary: true,
    attempt: 2,
  });
  assert.notEqual(fake.requests.at(-1)!.body.seed, a!.seed, 'a retried step gets another seed');
  fake.reply({ kind: 'json', value: { files: [] } });
  await ask();
  assert.equal(fake.requests.at(-1)!.body.temperature, 0);
  assert.equal(fake.requests.at(-1)!.body.seed, undefined, 'a greedy call needs no seed');
});

test('an answer that needed a repair request counts as two requests, its tokens added up', async () => {
  fake.reply({ kind: 'text', text: 'not json at all' });
  fake.reply({ kind: 'json', value: { files: ['codes/sma.py'] } });
  const answer = await ask();
  assert.deepEqual(answer.value, { files: ['codes/sma.py'] });
  assert.equal(answer.requests, 2);
  assert.equal(answer.usage.input_tokens, 240, 'both requests are billed');
  fake.reply({ kind: 'json', value: { files: [] } });
  assert.equal((await ask()).requests, undefined, 'one request');
});
