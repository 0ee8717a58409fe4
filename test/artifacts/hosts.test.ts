import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { apiClient, type Json } from '../support/api';
import { REPO_ROOT } from '../support/cli';
import { testServer } from '../support/env';
import { freePort } from '../support/ports';
import { git } from './helpers';

/**
 * Artifacts across hosts, with real processes: two worker "hosts" (each a `devcrew worker` with a state
 * dir of its own) and an API on a third, sharing nothing but the Temporal server and the Git server
 * (`devcrew git-server`) on loopback. A diamond DAG's steps land on both hosts; the Git server is stopped
 * for 10 s in the middle of a run; a host is SIGKILLed right after a step committed and pushed.
 */
const TOKEN = 'hosts-api-token-30b1';
const GIT_TOKEN = 'hosts-git-token-9a7d44';
const PREFIX = 'hosts30-';
let root: string;
let temporal: Awaited<ReturnType<typeof testServer>>;
let connection: Connection;
let client: Client;
let gitPort: number;
let api: string;
const procs = new Map<string, ChildProcess>();
const logs = new Map<string, string[]>();

function serverRepo(): string {
  return path.join(root, 'git-host', 'git-server', 'artifacts.git');
}

function env(stateDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: temporal.address,
    DEVCREW_STATE_DIR: stateDir,
    DEVCREW_API_TOKEN: TOKEN,
    DEVCREW_METRICS_PORT: 'off',
    DEVCREW_MODEL_PROVIDER: 'scripted',
    GEMINI_API_KEY: '',
    OPENAI_API_KEY: '',
    DEVCREW_TASK_QUEUE_PREFIX: PREFIX,
    DEVCREW_ARTIFACTS_SERVER_URL: `http://127.0.0.1:${gitPort}/artifacts.git`,
    DEVCREW_ARTIFACTS_SERVER_TOKEN: GIT_TOKEN,
    DEVCREW_GIT_SERVER_PORT: String(gitPort),
    DEVCREW_GIT_SERVER_TOKEN: GIT_TOKEN,
    ...extra,
  };
}

/** A devcrew process as on a host of its own: its own state dir under `root`. */
async function start(name: string, args: string[], ready: RegExp, extra: Record<string, string> = {}) {
  const stateDir = path.join(root, name);
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'devcrew.js'), ...args], {
    env: env(stateDir, extra),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = logs.get(name) ?? [];
  logs.set(name, lines);
  procs.set(name, child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${lines.join('')}`)), 90_000);
    const onData = (d: Buffer) => {
      lines.push(d.toString());
      if (ready.test(lines.join(''))) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited ${code}:\n${lines.join('')}`));
    });
  });
  child.removeAllListeners('exit');
  return child;
}

async function stop(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const child = procs.get(name);
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

const startGit = () => start('git-host', ['git-server'], /Git server at/);

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-hosts-'));
  temporal = await testServer();
  connection = await Connection.connect({ address: temporal.address });
  client = new Client({ connection });
  gitPort = await freePort();
  await startGit();
  const apiPort = await freePort();
  api = `http://127.0.0.1:${apiPort}`;
  await Promise.all([
    // Each host runs every kind, so either can be lost. A Coder step lingers 3 s after its work (its
    // commit pushed) before it reports, so a test can kill its host there.
    ...['host-a', 'host-b'].map((name) =>
      start(name, ['worker', '--kind', 'runs,agents,sandbox'], /polling/, {
        DEVCREW_FAULT_STEP_DELAYS: 'code=3000',
      }),
    ),
    start('api-host', ['api'], /API at/, { DEVCREW_API_PORT: String(apiPort) }),
  ]);
});

after(async () => {
  for (const name of procs.keys()) await stop(name, 'SIGKILL');
  await connection?.close();
  await temporal?.teardown();
  await fs.rm(root, { recursive: true, force: true });
});

const http = apiClient(() => api, TOKEN);

async function ended(runId: string, seconds = 240): Promise<Json> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const r = await http('GET', `/v1/runs/${runId}`).catch(() => undefined);
    if (
      r?.status === 200 &&
      !['running', 'awaiting_approval'].includes(r.body.status) &&
      !r.body.workers_down
    )
      return r.body;
    if (Date.now() > deadline)
      throw new Error(`run ${runId} did not end in ${seconds} s: ${JSON.stringify(r?.body).slice(0, 500)}`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

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

/**
 * The Coder steps of a run in flight now: the task, and the worker (pid) running it. Temporal writes a
 * retried activity's started event only when it closes, so this reads the run's pending activities.
 */
async function codingNow(runId: string): Promise<{ task: string; pid: number }[]> {
  const handle = client.workflow.getHandle(runId);
  const tasks = new Map<string, string>();
  for (const e of (await handle.fetchHistory()).events ?? []) {
    const a = e.activityTaskScheduledEventAttributes;
    if (a?.activityType?.name !== 'code') continue;
    const input = JSON.parse(Buffer.from(a.input!.payloads![0]!.data!).toString('utf8')) as Json;
    tasks.set(a.activityId!, input.task.id as string);
  }
  const pending = (await handle.describe()).raw.pendingActivities ?? [];
  return pending
    .filter((p) => tasks.has(p.activityId ?? '') && p.lastWorkerIdentity)
    .map((p) => ({ task: tasks.get(p.activityId!)!, pid: Number(p.lastWorkerIdentity!.split('@')[0]) }));
}

const diamond = {
  todo_list_id: 'todo_sma_diamond',
  request: 'Create simple SMA crossover strategy',
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

async function startDiamond(): Promise<string> {
  const r = await http('POST', '/v1/runs', {
    todo_list: diamond,
    options: { mode: 'crew', gates: { plan: false } },
  });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  return r.body.run_id as string;
}

/**
 * What a person checks on the Git server: the integration branch holds every task's tagged result; every
 * task commit carries its run and task in its provenance; no step's commit is there twice.
 */
function checkOnServer(runId: string, integration: { branch: string; commit: string }): void {
  const repo = serverRepo();
  assert.equal(git(repo, 'rev-parse', `refs/heads/${integration.branch}`), integration.commit);
  for (const task of diamond.tasks) {
    const tag = git(repo, 'rev-parse', `refs/tags/workflow_${runId}_${task.id}^{commit}`);
    assert.equal(
      git(repo, 'merge-base', '--is-ancestor', tag, integration.commit),
      '',
      `${task.id}'s result is in the integration branch`,
    );
    const records = git(
      repo,
      'log',
      '--first-parent',
      '--format=%H%x1f%(trailers:key=Workflow-Id,valueonly,separator=)%x1f%(trailers:key=Task-Id,valueonly,separator=)%x1f%(trailers:key=Agent-Role,valueonly,separator=)%x1f%s',
      `refs/heads/ai/generated/${runId}/${task.id}`,
    )
      .split('\n')
      .map((l) => l.split('\x1f'))
      .filter(([, wf]) => wf === runId);
    const own = records.filter(([, , id]) => id === task.id);
    assert.ok(own.length > 0, `${task.id} has commits with its provenance`);
    const steps = own.map(([, , , role, subject]) => `${role} ${subject}`);
    assert.equal(
      new Set(steps).size,
      steps.length,
      `no step of ${task.id} committed twice: ${steps.join(' | ')}`,
    );
  }
}

test(
  'a diamond DAG over two worker hosts sharing only Temporal and the Git server; the Git server stopped for 10 s mid-run',
  { timeout: 400_000 },
  async () => {
    const runId = await startDiamond();
    // Mid-run: once a Coder step has started, the Git server goes away for 10 s.
    for (let i = 0; i < 300; i++) {
      if ((await codingNow(runId)).length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await stop('git-host');
    const away = Date.now();
    // The API's readiness says so meanwhile.
    const down = await fetch(`${api}/readyz`);
    assert.equal(down.status, 503);
    const check = ((await down.json()) as Json).checks.find((c: Json) => c.name === 'artifact server');
    assert.equal(check?.ok, false);
    assert.match(check.detail, /artifacts\.git: the remote could not be reached/);
    await new Promise((r) => setTimeout(r, 10_000 - (Date.now() - away)));
    await startGit();
    const up = ((await (await fetch(`${api}/readyz`)).json()) as Json).checks;
    assert.equal(up.find((c: Json) => c.name === 'artifact server')?.ok, true);
    const outage = Date.now() - away;
    assert.ok(outage >= 10_000, `the Git server was away ${outage} ms`);

    const run = await ended(runId);
    assert.equal(run.status, 'completed', JSON.stringify(run).slice(0, 2000));
    const pids = new Set((await startedBy(runId)).map((s) => s.pid));
    assert.ok(
      pids.has(procs.get('host-a')!.pid!) && pids.has(procs.get('host-b')!.pid!),
      `steps ran on both hosts: ${[...pids].join(', ')}`,
    );
    checkOnServer(runId, run.artifacts);
    // The API's host has no worker: it reads the run through the Git server.
    const listed = (await http('GET', `/v1/runs/${runId}/artifacts`)).body;
    assert.equal(listed.integration.commit, run.artifacts.commit);
    assert.deepEqual(listed.tasks.map((t: Json) => t.task_id).sort(), diamond.tasks.map((t) => t.id).sort());
    assert.ok(listed.integration.files.includes('codes/sma_strategy.py'));
  },
);

test(
  'a worker host SIGKILLed right after a Coder step committed and pushed: the step retried on the other host finds its commit, once',
  { timeout: 400_000 },
  async () => {
    const runId = await startDiamond();
    const hosts = new Map(['host-a', 'host-b'].map((name) => [procs.get(name)!.pid!, name]));
    let killed: { host: string; task: string; commit: string } | undefined;
    for (let i = 0; i < 1200 && !killed; i++) {
      // A Coder step commits and pushes, then lingers (DEVCREW_FAULT_STEP_DELAYS) before it reports: once
      // its commit is on the server, its host is killed.
      for (const { task, pid } of await codingNow(runId)) {
        const branch = `refs/heads/ai/generated/${runId}/${task}`;
        if (!hosts.has(pid) || git(serverRepo(), 'for-each-ref', '--format=%(refname)', branch) !== branch)
          continue;
        const role = git(
          serverRepo(),
          'log',
          '-1',
          '--format=%(trailers:key=Agent-Role,valueonly,separator=)',
          branch,
        );
        if (role !== 'coder') continue;
        killed = { host: hosts.get(pid)!, task, commit: git(serverRepo(), 'rev-parse', branch) };
        break;
      }
      if (!killed) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(killed, 'a Coder step committed and pushed');
    await stop(killed.host, 'SIGKILL');
    const survivor = killed.host === 'host-a' ? 'host-b' : 'host-a';

    const run = await ended(runId);
    assert.equal(run.status, 'completed', JSON.stringify(run).slice(0, 2000));
    checkOnServer(runId, run.artifacts);
    // The retried step found the commit the killed host pushed: it is the task's, not replaced.
    const tag = git(serverRepo(), 'rev-parse', `refs/tags/workflow_${runId}_${killed.task}^{commit}`);
    const chain = git(serverRepo(), 'rev-list', '--first-parent', tag).split('\n');
    assert.ok(
      chain.includes(killed.commit),
      `${killed.host}'s ${killed.commit} is on ${killed.task}'s branch`,
    );
    // The step that completed it ran on the other host.
    const history = await client.workflow.getHandle(runId).fetchHistory();
    const scheduled = new Set<string>();
    let completedBy: number | undefined;
    for (const e of history.events ?? []) {
      const a = e.activityTaskScheduledEventAttributes;
      if (a?.activityType?.name === 'code') {
        const input = JSON.parse(Buffer.from(a.input!.payloads![0]!.data!).toString('utf8')) as Json;
        if (input.task.id === killed.task) scheduled.add(String(e.eventId));
      }
      const started = e.activityTaskStartedEventAttributes;
      if (started && scheduled.has(String(started.scheduledEventId)))
        completedBy = Number(started.identity?.split('@')[0]);
    }
    assert.equal(completedBy, procs.get(survivor)!.pid, `${survivor} finished ${killed.task}'s Coder step`);
  },
);
