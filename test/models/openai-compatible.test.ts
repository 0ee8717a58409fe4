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
  fake = await new FakeOpenAi().start();
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
  assert.deepEqual(answer.usage, { input_tokens: 120, output_tokens: 30 });
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
  fake.reply({ kind: 'text', text: 'Sure! Here is the code:' });
  assert.equal((await failure()).code, 'INVALID_AGENT_OUTPUT');
});
