import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createAgentActivities } from '../../activities';
import { openArtifactStore, type GitArtifactStore } from '../../artifacts';
import { statusView } from '../../cli/plan-view';
import { usageLine } from '../../cli/usage-line';
import { NO_USAGE, type RunProgress } from '../../contracts';
import { DEFAULT_PRICES } from '../../models/prices';
import { openAiCompatibleClient } from '../../models/openai-compatible';
import { FakeOpenAi } from '../fakes/fake-openai';
import { recordedAnswer } from '../fakes/recorded-answers';

let dir: string;
let store: GitArtifactStore;
let server: FakeOpenAi;
const mock = new MockActivityEnvironment({
  scheduledTimestampMs: Date.now(),
  currentAttemptScheduledTimestampMs: Date.now(),
});

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-unpriced-'));
  store = await openArtifactStore({ repoDir: path.join(dir, 'artifacts') });
  server = await new FakeOpenAi({ served: ['llama3.1'] }).start(); // a local server (Ollama)
});
after(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

test('a model without a price is counted as unpriced, and progress and the report say the cost is unknown', async () => {
  server.reply({
    kind: 'json',
    value: recordedAnswer('Create momentum strategy', 'planner'),
    inputTokens: 900,
    outputTokens: 300,
  });
  const acts = createAgentActivities({
    model: openAiCompatibleClient({ apiKey: 'none', model: 'llama3.1', baseUrl: server.url }),
    prices: DEFAULT_PRICES,
    artifacts: store,
  });
  const plan = (await mock.run(acts.plan, {
    run_id: 'unpriced-1',
    request: 'Create momentum strategy',
  })) as Awaited<ReturnType<typeof acts.plan>>;
  assert.equal(plan.usage.calls, 1);
  assert.equal(plan.usage.unpriced_calls, 1);
  assert.equal(plan.usage.cost_usd, 0);
  assert.equal(plan.usage.input_tokens, 900, 'the tokens are still counted');

  const line = usageLine(plan.usage, plan.model);
  assert.match(
    line,
    /PRICE UNKNOWN for 1 call\(s\) to openai\/llama3\.1: not counted \(add it to DEVCREW_PRICE_TABLE\)/,
  );
  const progress: RunProgress = {
    run_id: 'unpriced-1',
    mode: 'crew',
    mode_reason: 'test',
    status: 'running',
    request: 'Create momentum strategy',
    todo_list_id: null,
    tasks: [],
    pending_gates: [],
    usage: plan.usage,
    usage_by_role: { planner: plan.usage },
    budget_usd: 1,
    model: plan.model,
    plan: null,
    last_event_seq: 0,
  };
  assert.match(statusView(progress), /cost: +\$0\.0000 .*PRICE UNKNOWN/);
  assert.doesNotMatch(usageLine({ ...NO_USAGE, calls: 2, cost_usd: 0.5 }, plan.model), /UNKNOWN/);
});
