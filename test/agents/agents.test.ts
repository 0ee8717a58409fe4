import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createAgentActivities } from '../../activities';
import { openArtifactStore, type GitArtifactStore } from '../../artifacts';
import { NO_USAGE, type AgentStepInput, type TodoItem } from '../../contracts';
import { geminiClient } from '../../models/gemini';
import { DEFAULT_PRICES } from '../../models/prices';
import { loadRecordings, scriptedClient } from '../../models/doubles';
import { FakeGemini } from '../fakes/fake-gemini';
import { FakeOpenAi } from '../fakes/fake-openai';
import { openAiCompatibleClient } from '../../models/openai-compatible';

const REQUEST = 'Create simple SMA crossover strategy';
let dir: string;
let store: GitArtifactStore;
let fake: FakeGemini;
// Scheduled now, as Temporal would (the mock's default is 1970, which is past any retry window).
const mock = new MockActivityEnvironment({
  scheduledTimestampMs: Date.now(),
  currentAttemptScheduledTimestampMs: Date.now(),
});
/** Runs an activity inside a real activity context (scheduled time, heartbeats), typed. */
const env = { run: <A, R>(fn: (input: A) => Promise<R>, input: A) => mock.run(fn, input) as Promise<R> };

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-agents-'));
  store = await openArtifactStore({ repoDir: path.join(dir, 'artifacts') });
  fake = await new FakeGemini().start();
});
after(async () => {
  await fake?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const scripted = () =>
  createAgentActivities({
    model: scriptedClient(loadRecordings()),
    prices: DEFAULT_PRICES,
    artifacts: store,
  });

test('the scripted crew plans, designs and implements the SMA strategy, each step a commit with provenance', async () => {
  const acts = scripted();
  const ctx = { run_id: 'wf-sma' };
  const plan = await env.run(acts.plan, { ...ctx, request: REQUEST });
  assert.deepEqual(
    plan.todo_list.tasks.map((t) => t.agent_role),
    ['architect', 'coder', 'tester'],
  );
  assert.deepEqual(plan.model, { provider: 'scripted', name: 'scripted' });
  assert.deepEqual(plan.usage, { ...NO_USAGE, calls: 1 });
  const planMeta = await store.metadataOf(plan.ref.commit);
  assert.equal(planMeta.agent_version, 'planner@11');
  assert.equal(planMeta.model_name, 'scripted', 'the test double is named as such in the commit');

  const [architectTask, coderTask] = plan.todo_list.tasks as [TodoItem, TodoItem];
  const start = await env.run(acts.prepareTask, { ...ctx, task_id: architectTask.id, dependency_refs: [] });
  const architectInput: AgentStepInput = { ...ctx, request: REQUEST, task: architectTask, base: start };
  const designed = await env.run(acts.architect, architectInput);
  assert.deepEqual(designed.ref.paths.sort(), [
    'contracts/task_architect_001.json',
    'tests/test_sma_strategy.py',
  ]);
  const again = await env.run(acts.architect, architectInput);
  assert.equal(again.ref.commit, designed.ref.commit, 'a retried step finds its earlier commit');

  const coderStart = await env.run(acts.prepareTask, {
    ...ctx,
    task_id: coderTask.id,
    dependency_refs: [designed.ref],
  });
  const coded = await env.run(acts.code, { ...ctx, request: REQUEST, task: coderTask, base: coderStart });
  const files = await store.listFiles(coded.ref.commit);
  for (const f of [
    'codes/sma_strategy.py',
    'tests/test_sma_strategy.py',
    'contracts/task_architect_001.json',
  ]) {
    assert.ok(files.includes(f), `${f} is in the coder's commit`);
  }
  const meta = await store.metadataOf(coded.ref.commit);
  assert.equal(meta.agent_role, 'coder');
  assert.equal(meta.task_id, 'task_coder_001');
  assert.match(meta.prompt_hash, /^sha256:[0-9a-f]{64}$/);
  assert.match(await store.readFile(coded.ref.commit, 'codes/sma_strategy.py'), /class SmaCrossover/);
});

test('an invalid plan gets one repair round with its problems fed back, through the real Gemini SDK', async () => {
  const acts = createAgentActivities({
    model: geminiClient({ apiKey: 'gemini-fake-key-00000000', model: 'gemini-3.8-flash', baseUrl: fake.url }),
    prices: DEFAULT_PRICES,
    artifacts: store,
  });
  const task = {
    id: 'a',
    title: 't',
    description: 'd',
    agent_role: 'coder',
    acceptance_criteria: { tests: [{ cmd: 'pytest -q' }] },
  };
  fake.reply(
    {
      kind: 'json',
      value: { todo_list_id: 'p', request: REQUEST, tasks: [{ ...task, dependencies: ['ghost'] }] },
    },
    {
      kind: 'json',
      value: { todo_list_id: 'p', request: REQUEST, tasks: [task] },
      inputTokens: 2_000_000,
      outputTokens: 0,
    },
  );
  const plan = await env.run(acts.plan, { run_id: 'wf-gemini', request: REQUEST });
  assert.equal(plan.todo_list.tasks.length, 1);
  const repair = fake.requests.at(-1)!.body.contents?.[0]?.parts?.[0]?.text ?? '';
  assert.match(repair, /depends on "ghost", which is not a task/);
  assert.equal(plan.usage.calls, 2);
  assert.ok(plan.usage.cost_usd >= 0.2, 'tokens are priced from the table');
  assert.equal((await store.metadataOf(plan.ref.commit)).model_name, 'gemini/gemini-3.8-flash');
});

test('a planner that never gives a valid plan fails INVALID_AGENT_OUTPUT, not retryable', async () => {
  const acts = createAgentActivities({
    model: geminiClient({ apiKey: 'gemini-fake-key-00000000', model: 'gemini-3.8-flash', baseUrl: fake.url }),
    prices: DEFAULT_PRICES,
    artifacts: store,
  });
  fake.reply(
    { kind: 'text', text: 'no json' },
    { kind: 'json', value: { todo_list_id: 'p', request: 'r', tasks: [] } },
  );
  await assert.rejects(env.run(acts.plan, { run_id: 'wf-bad', request: REQUEST }), (err: unknown) => {
    assert.ok(err instanceof ApplicationFailure);
    assert.equal(err.type, 'INVALID_AGENT_OUTPUT');
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /no valid TodoList in 2 rounds/);
    return true;
  });
});

test("a rate limit from the provider reaches Temporal as a retryable failure with the provider's delay", async () => {
  const acts = createAgentActivities({
    model: geminiClient({ apiKey: 'gemini-fake-key-00000000', model: 'gemini-3.8-flash', baseUrl: fake.url }),
    prices: DEFAULT_PRICES,
    artifacts: store,
  });
  fake.reply({ kind: 'status', status: 429, retryAfter: '2' });
  await assert.rejects(env.run(acts.plan, { run_id: 'wf-429', request: REQUEST }), (err: unknown) => {
    assert.ok(err instanceof ApplicationFailure);
    assert.equal(err.type, 'MODEL_RATE_LIMITED');
    assert.equal(err.nonRetryable, false);
    assert.equal(err.nextRetryDelay, 2000);
    return true;
  });
});

test('the Architect, Coder and Debugger run through the real Gemini SDK, their answers committed with Gemini provenance', async () => {
  const recording = loadRecordings().get('create rate of change indicator')!;
  const answer = (role: string) => recording.answers.find((a) => a.role === role)!.value;
  fake.reply(
    { kind: 'json', value: answer('architect') },
    { kind: 'json', value: answer('coder') },
    { kind: 'json', value: answer('debugger') },
  );
  const acts = createAgentActivities({
    model: geminiClient({ apiKey: 'gemini-fake-key-00000000', model: 'gemini-3.8-flash', baseUrl: fake.url }),
    prices: DEFAULT_PRICES,
    artifacts: store,
  });
  const ctx = { run_id: 'wf-gemini-agents' };
  const task = {
    id: 'task_coder_001',
    title: 'roc',
    description: 'rate of change',
    agent_role: 'coder' as const,
    dependencies: [],
    acceptance_criteria: { tests: [] },
    timeout_seconds: 60,
    max_retries: 1,
    requires_approval: false,
  };
  const base = await env.run(acts.prepareTask, { ...ctx, task_id: task.id, dependency_refs: [] });
  const designed = await env.run(acts.architect, { ...ctx, task, base });
  const coded = await env.run(acts.code, { ...ctx, task, base: designed.ref });
  const fixed = await env.run(acts.debug, { ...ctx, task, base: coded.ref, round: 1 });
  for (const step of [designed, coded, fixed]) {
    assert.deepEqual(step.model, { provider: 'gemini', name: 'gemini-3.8-flash' });
    assert.equal(step.usage.calls, 1);
    assert.equal((await store.metadataOf(step.ref.commit)).model_name, 'gemini/gemini-3.8-flash');
  }
  const debuggerPrompt = fake.requests.at(-1)!.body.contents?.[0]?.parts?.[0]?.text ?? '';
  assert.match(debuggerPrompt, /Round: 1/);
  assert.match(debuggerPrompt, /--- codes\/roc_indicator\.py/, 'the Debugger sees the current code');
  assert.match(await store.readFile(fixed.ref.commit, 'codes/roc_indicator.py'), /prices\[i - period\]$/m);
});

test('the Planner runs through an OpenAI-compatible server (the real openai SDK) the same way', async () => {
  const server = await new FakeOpenAi({ served: ['llama3.1'] }).start(); // a local server
  try {
    const recording = loadRecordings().get('create momentum strategy')!;
    server.reply({ kind: 'json', value: recording.answers.find((a) => a.role === 'planner')!.value });
    const acts = createAgentActivities({
      model: openAiCompatibleClient({ apiKey: 'sk-fake-1234567890', model: 'llama3.1', baseUrl: server.url }),
      prices: DEFAULT_PRICES,
      artifacts: store,
    });
    const plan = await env.run(acts.plan, {
      run_id: 'wf-openai',
      request: 'Create momentum strategy',
    });
    assert.equal(plan.todo_list.todo_list_id, 'todo_momentum_001');
    assert.deepEqual(plan.model, { provider: 'openai', name: 'llama3.1' });
    assert.equal((await store.metadataOf(plan.ref.commit)).model_name, 'openai/llama3.1');
  } finally {
    await server.stop();
  }
});
