import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { pathsFrom, readEnv } from '../../core/config';
import { silentReport } from '../../core/report';
import { startProductionTemporal, type ProductionTemporal } from '../../runtime/production';
import { ensureProductionTools } from '../../runtime/provision/production';
import { portIsFree } from '../../runtime/temporal-server';
import { apiClient, type Json } from '../support/api';
import { REPO_ROOT } from '../support/cli';
import { freePort } from '../support/ports';

/**
 * devcrew as a team runs it: the real Temporal server (4 history shards) on PostgreSQL for persistence
 * and visibility, and devcrew's processes apart (`devcrew api`, `devcrew worker --kind runs`, two
 * `--kind agents`, two `--kind sandbox`), configured only through the environment. Then the faults a
 * team's deployment meets: a worker SIGKILLed, the Temporal server restarted, PostgreSQL stopped.
 */
const TOKEN = 'production-topology-token-9f3e';
let temporal: ProductionTemporal;
let stateDir: string;
let api: string;
let client: Client;
let connection: Connection;
const procs = new Map<string, ChildProcess>();
const logs = new Map<string, string[]>();

/** Ten consecutive free ports for the server's internal services (away from fetch's bad ports). */
async function freeBlock(): Promise<number> {
  for (;;) {
    // Below 32768: the server stores membership ports in a PostgreSQL smallint.
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    let ok = true;
    for (let p = base; p < base + 10 && ok; p++) ok = await portIsFree(p);
    if (ok) return base;
  }
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: temporal.address,
    DEVCREW_STATE_DIR: stateDir,
    DEVCREW_API_TOKEN: TOKEN,
    DEVCREW_METRICS_PORT: 'off',
    DEVCREW_MODEL_PROVIDER: 'scripted',
    GEMINI_API_KEY: '',
    OPENAI_API_KEY: '',
    DEVCREW_TASK_QUEUE_PREFIX: '',
    ...extra,
  };
}

/** A devcrew process of its own, as on its own host. */
async function startProcess(
  name: string,
  args: string[],
  extra: Record<string, string> = {},
  ready = /polling|API at/,
) {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'devcrew.js'), ...args], {
    env: env(extra),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  logs.set(name, lines);
  procs.set(name, child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${lines.join('')}`)), 90_000);
    const onData = (d: Buffer) => {
      lines.push(d.toString());
      if (ready.test(d.toString())) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited ${code}:\n${lines.join('')}`)));
  });
  return child;
}

before(async () => {
  stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-production-'));
  const tools = await ensureProductionTools(pathsFrom(readEnv()).cacheDir, silentReport);
  temporal = await startProductionTemporal({
    tools,
    stateDir,
    namespace: 'default',
    ports: { frontend: await freePort(), postgres: await freePort(), internalBase: await freeBlock() },
    uiPort: await freePort(),
    report: silentReport,
  });
  connection = await Connection.connect({ address: temporal.address });
  client = new Client({ connection, namespace: 'default' });
  const apiPort = await freePort();
  api = `http://127.0.0.1:${apiPort}`;
  // Agents linger 2 s after a Coder step, so a test can kill one in the middle of it.
  const agents = { DEVCREW_FAULT_STEP_DELAYS: 'code=2000' };
  await Promise.all([
    startProcess('api', ['api'], { DEVCREW_API_PORT: String(apiPort) }),
    startProcess('runs', ['worker', '--kind', 'runs']),
    startProcess('agents-a', ['worker', '--kind', 'agents'], agents),
    startProcess('agents-b', ['worker', '--kind', 'agents'], agents),
    startProcess('sandbox-a', ['worker', '--kind', 'sandbox']),
    startProcess('sandbox-b', ['worker', '--kind', 'sandbox']),
  ]);
  for (let i = 0; i < 120; i++) {
    const ready = await fetch(`${api}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (ready === 200) break;
    await new Promise((r) => setTimeout(r, 500));
  }
});

after(async () => {
  for (const p of procs.values()) p.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1_000));
  for (const p of procs.values()) p.kill('SIGKILL');
  await connection?.close();
  await temporal?.stop();
  await fs.rm(stateDir, { recursive: true, force: true });
});

const http = apiClient(() => api, TOKEN);

async function ended(runId: string, seconds = 240): Promise<Json> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const r = await http('GET', `/v1/runs/${runId}`).catch(() => undefined);
    if (
      r &&
      r.status === 200 &&
      !['running', 'awaiting_approval'].includes(r.body.status) &&
      !r.body.workers_down
    )
      return r.body;
    if (Date.now() > deadline)
      throw new Error(`run ${runId} did not end in ${seconds} s: ${JSON.stringify(r?.body).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const SMA = 'Create simple SMA crossover strategy';

/** Which worker process (pid) started each activity of a run, from its history. */
async function startedBy(runId: string): Promise<{ activity: string; pid: number }[]> {
  const history = await client.workflow.getHandle(runId).fetchHistory();
  const scheduled = new Map<string, string>();
  const out: { activity: string; pid: number }[] = [];
  for (const e of history.events ?? []) {
    if (e.activityTaskScheduledEventAttributes)
      scheduled.set(String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name ?? '');
    const s = e.activityTaskStartedEventAttributes;
    if (s)
      out.push({
        activity: scheduled.get(String(s.scheduledEventId)) ?? '',
        pid: Number(s.identity?.split('@')[0]),
      });
  }
  return out;
}

/** A DAG whose two Coder tasks run at the same time, then a Tester over both. */
const diamond = {
  todo_list_id: 'todo_sma_diamond',
  request: SMA,
  tasks: [
    {
      id: 'task_architect_001',
      title: 'Contract',
      description: 'the SMA contract',
      agent_role: 'architect',
      dependencies: [],
      acceptance_criteria: { tests: [] },
    },
    ...['001', '002'].map((n) => ({
      id: `task_coder_${n}`,
      title: `SMA ${n}`,
      description: 'codes/sma_strategy.py and its tests',
      agent_role: 'coder',
      dependencies: ['task_architect_001'],
      acceptance_criteria: { tests: [{ cmd: 'pytest -q tests/test_sma_strategy.py' }] },
    })),
    {
      id: 'task_tester_001',
      title: 'All tests',
      description: 'with coverage',
      agent_role: 'tester',
      dependencies: ['task_coder_001', 'task_coder_002'],
      acceptance_criteria: { tests: [{ cmd: 'pytest -q --cov=codes tests' }] },
    },
  ],
};

test(
  'the SMA E2E on the production topology: completed, provenance in Git, found through the visibility store by its search attributes',
  { timeout: 300_000 },
  async () => {
    const started = await http('POST', '/v1/runs', {
      request: SMA,
      options: { mode: 'crew', gates: { plan: false } },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const runId = started.body.run_id as string;
    const run = await ended(runId);
    assert.equal(run.status, 'completed', JSON.stringify(run).slice(0, 2000));
    const artifacts = (await http('GET', `/v1/runs/${runId}/artifacts`)).body;
    assert.ok(artifacts.integration.files.includes('codes/sma_strategy.py'));
    const coder = artifacts.tasks.find((t: Json) => t.task_id === 'task_coder_001');
    assert.ok(
      coder.commits.every((c: Json) => c.metadata.workflow_id === runId && c.metadata.agent_role),
      'provenance on every commit',
    );

    const found: string[] = [];
    for await (const w of client.workflow.list({
      query: `WorkflowType = "developWorkflow" AND DevcrewMode = "crew" AND DevcrewStatus = "completed" AND DevcrewTodoListId = "todo_sma_crossover_001"`,
    }))
      found.push(w.workflowId);
    assert.ok(
      found.includes(runId),
      `visibility on PostgreSQL finds the run by its search attributes (${found.join()})`,
    );
    const listed = await http('GET', '/v1/runs?mode=crew&status=completed');
    assert.ok(listed.body.runs.some((r: Json) => r.run_id === runId));
    const sys = await connection.workflowService.getSystemInfo({});
    assert.ok(sys.capabilities, 'a real Temporal server answers');
  },
);

test(
  'scale-out: parallel tasks land on both agent and both sandbox workers; an agent worker SIGKILLed mid-step, the runs complete on the other',
  { timeout: 400_000 },
  async () => {
    const runIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await http('POST', '/v1/runs', {
        todo_list: diamond,
        options: { mode: 'crew', gates: { plan: false } },
      });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      runIds.push(r.body.run_id);
    }
    const agentPids = new Set([procs.get('agents-a')!.pid!, procs.get('agents-b')!.pid!]);
    // Kill whichever agent worker is in the middle of a Coder step first.
    let killed: number | undefined;
    for (let i = 0; i < 200 && !killed; i++) {
      for (const id of runIds) {
        const coding = (await startedBy(id)).find((s) => s.activity === 'code' && agentPids.has(s.pid));
        if (coding) {
          killed = coding.pid;
          break;
        }
      }
      if (!killed) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(killed, 'a Coder step started');
    process.kill(killed, 'SIGKILL');
    for (const id of runIds) {
      const run = await ended(id);
      assert.equal(run.status, 'completed', JSON.stringify(run).slice(0, 1500));
    }
    const all = (await Promise.all(runIds.map(startedBy))).flat();
    const pidsOf = (activities: string[]) =>
      new Set(all.filter((s) => activities.includes(s.activity)).map((s) => s.pid));
    const sandboxPids = pidsOf(['checkBuild', 'runTests']);
    assert.ok(
      sandboxPids.has(procs.get('sandbox-a')!.pid!) && sandboxPids.has(procs.get('sandbox-b')!.pid!),
      `sandbox jobs on both sandbox workers: ${[...sandboxPids].join()}`,
    );
    const agentUsed = pidsOf(['architect', 'code', 'debug']);
    assert.ok(
      [...agentPids].every((p) => agentUsed.has(p)),
      `agent steps on both agent workers: ${[...agentUsed].join()}`,
    );
    const survivor = [...agentPids].find((p) => p !== killed)!;
    const codeSteps = all.filter((s) => s.activity === 'code');
    assert.ok(
      codeSteps.some((s) => s.pid === survivor),
      'the other agent worker took over',
    );
    // Both Coder tasks of a run were in flight at once (the DAG's parallel branch).
    const history = await client.workflow.getHandle(runIds[0]!).fetchHistory();
    let open = 0;
    let most = 0;
    const scheduled = new Map<string, string>();
    for (const e of history.events ?? []) {
      const a = e.activityTaskScheduledEventAttributes;
      if (a) {
        scheduled.set(String(e.eventId), a.activityType?.name ?? '');
        if (a.activityType?.name === 'code') most = Math.max(most, ++open);
      }
      const done =
        e.activityTaskCompletedEventAttributes ??
        e.activityTaskFailedEventAttributes ??
        e.activityTaskTimedOutEventAttributes;
      if (done && scheduled.get(String(done.scheduledEventId)) === 'code') open--;
    }
    assert.equal(most, 2, 'the two Coder tasks ran side by side');
  },
);

/** Starts an SMA run and returns once its Coder step has started (the middle of the run). */
async function smaRunAtItsCoder(): Promise<string> {
  const r = await http('POST', '/v1/runs', {
    request: SMA,
    options: { mode: 'crew', gates: { plan: false } },
  });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const runId = r.body.run_id as string;
  for (let i = 0; i < 200; i++) {
    if ((await startedBy(runId)).some((s) => s.activity === 'code')) return runId;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`the Coder step of ${runId} did not start`);
}

test(
  'the Temporal server SIGKILLed and restarted mid-run: the run completes',
  { timeout: 300_000 },
  async () => {
    const runId = await smaRunAtItsCoder();
    await temporal.restartServer({ kill: true });
    const run = await ended(runId);
    assert.equal(run.status, 'completed', JSON.stringify(run).slice(0, 1500));
  },
);

test(
  'PostgreSQL stopped for 5 s mid-run: the run completes once it is back, nothing lost',
  { timeout: 300_000 },
  async () => {
    const runId = await smaRunAtItsCoder();
    await temporal.pausePostgres(5_000);
    const run = await ended(runId);
    assert.equal(run.status, 'completed', JSON.stringify(run).slice(0, 1500));
    const tasks = run.tasks as Json[];
    assert.deepEqual(
      tasks.map((t) => t.status),
      ['completed', 'completed', 'completed'],
    );
    const artifacts = (await http('GET', `/v1/runs/${runId}/artifacts`)).body;
    assert.ok(artifacts.integration.files.includes('codes/sma_strategy.py'), 'its code is in Git');
  },
);
