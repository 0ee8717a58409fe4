import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import { geminiClient } from '../../models/gemini';
import { ModelError } from '../../models/types';
import { FakeGemini, GEMINI_NON_TEXT, GEMINI_SERVED } from '../fakes/fake-gemini';

const KEY = 'AIzaFAKE-key-that-must-never-leak-0123456789';
const Answer = z.strictObject({
  name: z.string().describe('the class name'),
  windows: z.array(z.number().int()),
});
const ask = (client: ReturnType<typeof geminiClient>) =>
  client.generateJson({
    role: 'architect',
    system: 'You are an architect.',
    prompt: 'Design SmaCrossover.',
    schema: Answer,
  });

let fake: FakeGemini;
let client: ReturnType<typeof geminiClient>;
before(async () => {
  fake = await new FakeGemini().start();
  client = geminiClient({ apiKey: KEY, model: 'gemini-3.8-flash', baseUrl: fake.url, timeoutMs: 2_000 });
});
after(() => fake?.stop());

async function failure(promise: Promise<unknown>): Promise<ModelError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ModelError, `expected a ModelError, got ${String(err)}`);
    assert.ok(!err.message.includes(KEY), 'the API key must not appear in an error');
    return err;
  }
  assert.fail('expected the call to fail');
}

test('the real SDK asks for JSON with a response schema derived from the contract and returns it validated', async () => {
  fake.reply({
    kind: 'json',
    value: { name: 'SmaCrossover', windows: [5, 20] },
    inputTokens: 321,
    outputTokens: 45,
  });
  const answer = await ask(client);
  assert.deepEqual(answer.value, { name: 'SmaCrossover', windows: [5, 20] });
  assert.deepEqual(answer.usage, {
    input_tokens: 321,
    output_tokens: 45,
    thought_tokens: 0,
    cached_input_tokens: 0,
  });

  const sent = fake.requests.at(-1)!;
  assert.match(sent.url, /\/v1beta\/models\/gemini-3\.8-flash:generateContent$/);
  assert.equal(sent.headers['x-goog-api-key'], KEY, 'the key travels in a header');
  assert.ok(!sent.url.includes(KEY), 'not in the URL, where logs would keep it');
  assert.equal(sent.body.generationConfig?.responseMimeType, 'application/json');
  const schema = sent.body.generationConfig?.responseJsonSchema as {
    properties: Record<string, { description?: string }>;
  };
  assert.equal(schema.properties.name?.description, 'the class name');
  assert.equal(sent.body.contents?.[0]?.parts?.[0]?.text, 'Design SmaCrossover.');
});

test('429 becomes a retryable MODEL_RATE_LIMITED carrying Retry-After', async () => {
  fake.reply({ kind: 'status', status: 429, retryAfter: '7' });
  const err = await failure(ask(client));
  assert.equal(err.code, 'MODEL_RATE_LIMITED');
  assert.equal(err.retryable, true);
  assert.equal(err.retryAfterMs, 7000);
});

test('500 and a stalled answer are retryable MODEL_UNAVAILABLE; 400 is not retryable', async () => {
  fake.reply({ kind: 'status', status: 500 });
  assert.equal((await failure(ask(client))).code, 'MODEL_UNAVAILABLE');

  fake.reply({ kind: 'slow', ms: 4_000, then: { kind: 'json', value: { name: 'x', windows: [] } } });
  const slow = await failure(ask(client));
  assert.equal(slow.code, 'MODEL_UNAVAILABLE');
  assert.equal(slow.retryable, true);

  fake.reply({ kind: 'status', status: 400, message: 'Invalid JSON payload' });
  const bad = await failure(ask(client));
  assert.equal(bad.code, 'MODEL_BAD_REQUEST');
  assert.equal(bad.retryable, false);
  assert.match(bad.message, /Invalid JSON payload/);
});

test('a safety block is reported as such and not retried', async () => {
  fake.reply({ kind: 'safety' });
  const err = await failure(ask(client));
  assert.equal(err.code, 'MODEL_SAFETY_BLOCK');
  assert.equal(err.retryable, false);
  assert.match(err.message, /safety grounds \(SAFETY\)/);
});

test('malformed JSON and a wrong shape are INVALID_AGENT_OUTPUT naming what is wrong', async () => {
  fake.reply({ kind: 'text', text: '{"name": "Sma", "windows": [5, 2' });
  assert.match((await failure(ask(client))).message, /INVALID_AGENT_OUTPUT.*not JSON/);
  fake.reply({ kind: 'json', value: { name: 'Sma', windows: ['five'] } });
  const shape = await failure(ask(client));
  assert.equal(shape.code, 'INVALID_AGENT_OUTPUT');
  assert.match(shape.message, /windows\[0\]: /);
});

test('a provider that is down fails fast with a message naming Gemini and the address', async () => {
  const down = geminiClient({
    apiKey: KEY,
    model: 'gemini-3.8-flash',
    baseUrl: 'http://127.0.0.1:9',
    timeoutMs: 2_000,
  });
  const started = Date.now();
  const err = await failure(ask(down));
  assert.equal(err.code, 'MODEL_UNAVAILABLE');
  assert.match(err.message, /Gemini \(gemini-3\.8-flash at http:\/\/127\.0\.0\.1:9\) cannot be reached/);
  assert.ok(Date.now() - started < 10_000);
});

test('thinking and cached tokens are read from usageMetadata, and Gemini 3 keeps its default temperature', async () => {
  fake.reply({
    kind: 'json',
    value: { name: 'Sma', windows: [5] },
    inputTokens: 10_000,
    outputTokens: 400,
    thoughtTokens: 7_500,
    cachedTokens: 6_000,
  });
  const answer = await ask(client);
  assert.deepEqual(answer.usage, {
    input_tokens: 10_000,
    output_tokens: 400,
    thought_tokens: 7_500,
    cached_input_tokens: 6_000,
  });
  assert.equal(
    fake.requests.at(-1)!.body.generationConfig?.temperature,
    undefined,
    'Google asks to leave Gemini 3 at its default temperature',
  );
});

test('a model the provider no longer serves fails MODEL_NOT_FOUND, not retryable, naming DEVCREW_MODEL and models it serves', async () => {
  const retired = geminiClient({
    apiKey: KEY,
    model: 'gemini-2.0-flash',
    baseUrl: fake.url,
    timeoutMs: 2_000,
  });
  const err = await failure(ask(retired));
  assert.equal(err.code, 'MODEL_NOT_FOUND');
  assert.equal(err.retryable, false);
  assert.match(err.message, /does not serve the model "gemini-2\.0-flash"/);
  assert.match(err.message, /generateContent answered 404/);
  assert.match(err.message, /set DEVCREW_MODEL to a model it serves, e\.g\. gemini-3\.8-flash, /);
  assert.ok(!err.message.includes('gemini-embedding'), 'a model that cannot answer text is not suggested');
});

test("the model lookup is the SDK's models.get and models.list, every page of it", async () => {
  const lookup = client.lookup!;
  assert.deepEqual(await lookup.get('gemini-3.8-flash'), {
    name: 'gemini-3.8-flash',
    displayName: 'Gemini 3.8 flash',
    generates: true,
  });
  assert.equal(await lookup.get('gemini-2.0-flash'), undefined, 'a 404 means: not served');
  const listed = await lookup.list();
  assert.deepEqual(
    listed.map((m) => m.name),
    [...GEMINI_SERVED, ...GEMINI_NON_TEXT],
    'all pages are read (the fake pages by two)',
  );
  assert.equal(listed.find((m) => m.name === 'gemini-embedding-2')?.generates, false);
});

test('a cut connection and a call that never answers are retryable MODEL_UNAVAILABLE', async () => {
  fake.reply({ kind: 'cut' });
  const cut = await failure(ask(client));
  assert.equal(cut.code, 'MODEL_UNAVAILABLE');
  assert.equal(cut.retryable, true);
  fake.reply({ kind: 'hang' });
  const hung = await failure(ask(client));
  assert.equal(hung.code, 'MODEL_UNAVAILABLE');
  assert.equal(hung.retryable, true);
});
