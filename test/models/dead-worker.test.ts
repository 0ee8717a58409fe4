import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { NativeConnection } from '@temporalio/worker';
import { taskQueues } from '../../contracts';
import { startWorkers, type RunningWorkers } from '../../workers';
import { productionActivities } from '../../workers/deps';
import { FakeGemini } from '../fakes/fake-gemini';
import { recordedAnswer, roleOf } from '../fakes/recorded-answers';
import { cancelRun, pollRun, providerStack, startRun } from './run-support';

const REQUEST = 'Create simple SMA crossover strategy';
const PREFIX = 'dead-worker-';

let fake: FakeGemini;
let env: Awaited<ReturnType<typeof providerStack>>;
let child: ChildProcess | undefined;
let replacement: RunningWorkers | undefined;
let connection: NativeConnection | undefined;

before(async () => {
  fake = await new FakeGemini().start();
  fake.fallback = (req) => ({
    kind: 'json',
    value: recordedAnswer(REQUEST, roleOf(req.body.systemInstruction)),
  });
  // Only the run worker and the API here; the agents worker is a process of its own.
  env = await providerStack(
    { GEMINI_API_KEY: 'AIza-dead-worker-00aa11bb', GEMINI_BASE_URL: fake.url },
    { prefix: PREFIX, workers: ['runs'] },
  );
});
after(async () => {
  child?.kill('SIGKILL');
  await replacement?.shutdown();
  await connection?.close();
  await env?.stop();
  await fake?.stop();
});

/** An agents worker in this process (the one that takes over). */
async function agentsWorkerHere(): Promise<void> {
  if (replacement) return;
  const acts = await productionActivities({
    withSandbox: false,
    report: () => undefined,
    client: env.stack.client,
  });
  connection = await NativeConnection.connect({ address: env.stack.address });
  replacement = await startWorkers({
    connection,
    namespace: env.stack.namespace,
    kinds: ['agents'],
    agents: acts.agents,
    taskQueues: taskQueues(PREFIX),
  });
}

test(
  'a worker killed during a model call: the heartbeat timeout hands the call to another worker, which finishes it',
  { timeout: 180_000 },
  async () => {
    child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'agents-worker-process.ts')], {
      env: { ...process.env, TEMPORAL_ADDRESS: env.stack.address, DEVCREW_TEST_QUEUE_PREFIX: PREFIX },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.on('data', (d: Buffer) => d.toString().includes('polling') && resolve());
      child!.once('exit', (code) => reject(new Error(`the worker process ended (${code})`)));
    });
    // The first Planner call never answers: its worker dies while waiting for it.
    fake.reply({ kind: 'hang' });
    const runId = await startRun(env.stack, { request: REQUEST });
    for (let i = 0; i < 600 && fake.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(fake.requests.length, 1, 'the Planner is waiting for the provider');
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));

    await agentsWorkerHere();
    const run = await pollRun(env.stack, runId, (r) => r.pending_gates.some((g) => g.kind === 'plan'));
    assert.ok(
      run.pending_gates.some((g) => g.kind === 'plan'),
      `the plan was made by the other worker: ${JSON.stringify(run).slice(0, 600)}`,
    );
    assert.deepEqual(
      fake.requests.map((r) => roleOf(r.body.systemInstruction)),
      ['planner', 'planner'],
      'the call was made again, once',
    );
    await cancelRun(env.stack, runId);
  },
);

test(
  'a live model call slower than the heartbeat timeout is not cut off: the step heartbeats while it waits',
  { timeout: 180_000 },
  async () => {
    await agentsWorkerHere();
    const before = fake.requests.length;
    // 40 s, longer than the 30 s heartbeat timeout, then the Planner's answer.
    fake.reply({
      kind: 'slow',
      ms: 40_000,
      then: { kind: 'json', value: recordedAnswer(REQUEST, 'planner') },
    });
    const runId = await startRun(env.stack, { request: REQUEST });
    const run = await pollRun(env.stack, runId, (r) => r.pending_gates.some((g) => g.kind === 'plan'));
    assert.ok(
      run.pending_gates.some((g) => g.kind === 'plan'),
      JSON.stringify(run).slice(0, 600),
    );
    assert.equal(fake.requests.length - before, 1, 'one call, not cut off and made again');
    await cancelRun(env.stack, runId);
  },
);
