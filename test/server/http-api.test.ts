import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { after, before, test } from 'node:test';
import {
  initialRollout,
  type GateDecisionRequest,
  type RolloutChange,
  type StartRunRequest,
} from '../../contracts';
import { createApp } from '../../server/app';
import { DevcrewError } from '../../core/errors';
import type { RolloutService } from '../../server/rollout-service';
import type { RunsService } from '../../server/runs-service';

const TOKEN = 'test-token-0123456789';
const started: StartRunRequest[] = [];
const decisions: (GateDecisionRequest & { by?: string })[] = [];

/** Runs kept in memory; the point here is the HTTP contract, the Temporal side has its own tests. */
const runs: RunsService = {
  async start(body) {
    started.push(body);
    return { run_id: 'devcrew-sma-1', mode: body.options?.mode === 'single-agent' ? 'single-agent' : 'crew' };
  },
  async list({ status }) {
    return [
      {
        run_id: 'devcrew-sma-1',
        mode: 'crew',
        status: status ?? 'running',
        temporal_status: 'RUNNING',
        request: 'Create simple SMA crossover strategy',
        cost_usd: null,
        started_at: '2026-11-25T00:00:00.000Z',
        closed_at: null,
        fix_iterations: null,
      },
    ];
  },
  async get(id) {
    if (id !== 'devcrew-sma-1') throw new DevcrewError('RUN_NOT_FOUND', `no run "${id}"`);
    return {
      run_id: id,
      mode: 'crew',
      mode_reason: 'rollout 100%',
      status: 'awaiting_approval',
      request: 'Create simple SMA crossover strategy',
      todo_list_id: null,
      tasks: [],
      pending_gates: [{ gate_id: 'plan', kind: 'plan', waiting_for: 'approval of the plan', since: '' }],
      usage: { calls: 0, cache_hits: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0 },
      usage_by_role: {},
      budget_usd: 1,
      model: null,
      plan: null,
      last_event_seq: 3,
      result: null,
    };
  },
  async decide(id, gate, decision, by) {
    if (id !== 'devcrew-sma-1') throw new DevcrewError('RUN_NOT_FOUND', `no run "${id}"`);
    if (gate === 'done') throw new DevcrewError('GATE_NOT_PENDING', 'gate "done" was approved already');
    if (gate !== 'plan') throw new DevcrewError('GATE_NOT_FOUND', `run ${id} has no gate "${gate}"`);
    decisions.push({ ...decision, ...(by ? { by: by.name } : {}) });
    return {
      gate_id: gate,
      outcome: decision.decision === 'approve' ? 'approved' : 'rejected',
      approver: by?.name ?? '?',
      decided_at: '2026-11-25T00:00:00.000Z',
    };
  },
  async *events() {
    yield* [];
  },
  async cancel(id) {
    if (id !== 'devcrew-sma-1') throw new DevcrewError('RUN_NOT_FOUND', `no run "${id}"`);
  },
  async artifacts() {
    throw new Error('secret internal detail at /root/.devcrew/x.ts:12');
  },
};

const rolloutState = initialRollout('2026-11-25T00:00:00.000Z');
const rolloutChanges: RolloutChange[] = [];
/** The rollout in memory: what reaches it, the HTTP layer let through. */
const rollout: RolloutService = {
  state: async () => rolloutState,
  view: async () => {
    throw new Error('not used here');
  },
  change: async (change) => {
    rolloutChanges.push(change);
    return { ...rolloutState, percent: change.percent ?? rolloutState.percent };
  },
  rollback: async () => ({ applied: true, state: { ...rolloutState, percent: 0 } }),
  rate: async () => undefined,
  noteAlerts: async () => undefined,
};

let server: Server;
let base: string;
const logged: string[] = [];
before(async () => {
  const app = createApp({
    runs,
    rollout,
    token: TOKEN,
    namespace: 'default',
    webUiUrl: 'http://127.0.0.1:8233',
    readiness: async () => [{ name: 'temporal', ok: true, detail: 'answers' }],
    log: (m) => logged.push(m),
  });
  await new Promise<void>((resolve) => (server = app.listen(0, '127.0.0.1', () => resolve())));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server?.close());

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are read field by field
type Json = Record<string, any>;

async function call(method: string, path: string, body?: unknown, token: string | null = TOKEN) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Json, text };
}

test('POST /v1/runs starts a run and answers 202 with its id and links to itself and the Web UI', async () => {
  const res = await call('POST', '/v1/runs', { request: 'Create simple SMA crossover strategy' });
  assert.equal(res.status, 202);
  assert.deepEqual(res.body, {
    run_id: 'devcrew-sma-1',
    mode: 'crew',
    links: {
      self: '/v1/runs/devcrew-sma-1',
      web_ui: 'http://127.0.0.1:8233/namespaces/default/workflows/devcrew-sma-1',
    },
  });
  assert.equal(started.at(-1)?.request, 'Create simple SMA crossover strategy');
});

test('mutating endpoints refuse a missing or wrong token and do nothing', async () => {
  const before = started.length;
  for (const token of [null, 'wrong']) {
    const res = await call('POST', '/v1/runs', { request: 'x' }, token);
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, 'UNAUTHORIZED');
  }
  assert.equal((await call('POST', '/v1/runs/devcrew-sma-1/cancel', undefined, null)).status, 401);
  assert.equal(started.length, before);
});

test('a bad body is refused with 400 listing every problem with its path', async () => {
  const res = await call('POST', '/v1/runs', {
    request: 'x',
    todo_list: { todo_list_id: 'x', request: 'r', tasks: [] },
    options: { parallelism: 0, colour: 'red' },
  });
  assert.equal(res.status, 400);
  assert.equal(res.body.error.code, 'INVALID_REQUEST');
  const paths = (res.body.error.problems as { path: string }[]).map((p) => p.path).sort();
  assert.deepEqual(paths, ['options', 'options.parallelism', 'request', 'todo_list.tasks']);

  const neither = await call('POST', '/v1/runs', {});
  assert.equal(neither.status, 400);
  assert.match(neither.body.error.problems[0].message, /exactly one of "request" \(to plan\) or "todo_list"/);
});

test('malformed JSON and an oversized body get JSON errors, not HTML', async () => {
  const bad = await call('POST', '/v1/runs', '{"request": ');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'INVALID_JSON');
  const big = await call('POST', '/v1/runs', { request: 'x'.repeat(1_100_000) });
  assert.equal(big.status, 413);
  assert.equal(big.body.error.code, 'BODY_TOO_LARGE');
});

test('gate decisions map to 200, 404 for an unknown run or gate, 409 for a gate no longer pending', async () => {
  const ok = await call('POST', '/v1/runs/devcrew-sma-1/approvals/plan', {
    decision: 'approve',
    approver: 'ana',
  });
  assert.equal(ok.status, 200);
  // The body's "ana" is not who decided: the bootstrap credential did.
  assert.deepEqual(
    [ok.body.gate_id, ok.body.outcome, ok.body.approver],
    ['plan', 'approved', 'bootstrap-admin'],
  );
  assert.equal(decisions.at(-1)?.by, 'bootstrap-admin');

  const body = { decision: 'approve', approver: 'ana' };
  assert.equal((await call('POST', '/v1/runs/nope/approvals/plan', body)).body.error.code, 'RUN_NOT_FOUND');
  const gate = await call('POST', '/v1/runs/devcrew-sma-1/approvals/other', body);
  assert.deepEqual([gate.status, gate.body.error.code], [404, 'GATE_NOT_FOUND']);
  const done = await call('POST', '/v1/runs/devcrew-sma-1/approvals/done', body);
  assert.deepEqual([done.status, done.body.error.code], [409, 'GATE_NOT_PENDING']);
  const noDecision = await call('POST', '/v1/runs/devcrew-sma-1/approvals/plan', { approver: 'ana' });
  assert.equal(noDecision.status, 400);
  assert.equal(noDecision.body.error.problems[0].path, 'decision');
});

test('unknown routes are 404 JSON, unknown runs 404, and an internal failure shows no stack trace', async () => {
  const route = await call('GET', '/v2/everything');
  assert.deepEqual([route.status, route.body.error.code], [404, 'NOT_FOUND']);
  const run = await call('GET', '/v1/runs/missing');
  assert.deepEqual([run.status, run.body.error.code], [404, 'RUN_NOT_FOUND']);
  const boom = await call('GET', '/v1/runs/devcrew-sma-1/artifacts');
  assert.equal(boom.status, 500);
  assert.doesNotMatch(boom.text, /secret internal detail|\.ts:\d+|at /);
  assert.ok(
    logged.some((l) => l.includes('secret internal detail')),
    'the cause goes to the server log',
  );
});

test('GET /v1/runs filters by a known status and refuses an unknown one', async () => {
  const ok = await call('GET', '/v1/runs?status=completed');
  assert.deepEqual(
    ok.body.runs.map((r: Json) => [r.run_id, r.status]),
    [['devcrew-sma-1', 'completed']],
  );
  const bad = await call('GET', '/v1/runs?status=sleeping');
  assert.equal(bad.status, 400);
});

test('health, readiness and the OpenAPI document answer', async () => {
  assert.deepEqual((await call('GET', '/healthz')).body, { status: 'ok' });
  const ready = await call('GET', '/readyz');
  assert.equal(ready.body.status, 'ready');
  const doc = await call('GET', '/openapi.json');
  assert.equal(doc.body.openapi, '3.0.3');
  assert.ok(doc.body.paths['/v1/runs/{id}/approvals/{gate_id}'].post);
  assert.ok(doc.body.components.schemas.StartRunRequest.properties.request);
});

test('rollout changes need the token, a reason and a percent in 0-100; refused ones never reach the rollout', async () => {
  const refused: [unknown, string | null, number, RegExp][] = [
    [{ percent: 101, reason: 'ramp' }, TOKEN, 400, /percent/],
    [{ percent: 10.5, reason: 'ramp' }, TOKEN, 400, /whole number/],
    [{ percent: 10 }, TOKEN, 400, /reason/],
    [{ percent: 10, reason: '   ' }, TOKEN, 400, /say why/],
    [{ reason: 'nothing to change' }, TOKEN, 400, /change at least one/],
    [{ percent: '10', reason: 'a string' }, TOKEN, 400, /percent/],
    [{ percent: 10, reason: 'ramp' }, null, 401, /Bearer/],
    [{ percent: 10, reason: 'ramp' }, 'wrong', 401, /Bearer/],
  ];
  for (const [body, token, status, message] of refused) {
    const res = await call('PUT', '/v1/rollout', body, token);
    assert.equal(res.status, status, JSON.stringify(body));
    assert.match(JSON.stringify(res.body.error), message);
  }
  const noReason = await call('POST', '/v1/rollout/rollback', {});
  assert.equal(noReason.status, 400);
  assert.match(noReason.body.error.problems[0].message, /say why/);
  assert.equal(rolloutChanges.length, 0);

  const ok = await call('PUT', '/v1/rollout', { percent: 10, reason: 'the migration plan: week 8' });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.state.percent, 10);
  assert.deepEqual(rolloutChanges, [
    { percent: 10, reason: 'the migration plan: week 8', by: 'bootstrap-admin', credential_id: 'bootstrap' },
  ]);
});

test('an unknown mode is refused on POST /v1/runs and on GET /v1/runs', async () => {
  const start = await call('POST', '/v1/runs', { request: 'x', options: { mode: 'solo' } });
  assert.equal(start.status, 400);
  assert.equal(start.body.error.problems[0].path, 'options.mode');
  const list = await call('GET', '/v1/runs?mode=solo');
  assert.equal(list.status, 400);
  assert.match(list.body.error.message, /unknown mode "solo"; use one of crew, single-agent/);
});

test('a todo_list whose dependencies form a cycle is refused with 400 naming the cycle, as devcrew validate does', async () => {
  const before = started.length;
  const task = (id: string, dependencies: string[]) => ({
    id,
    title: id,
    description: id,
    agent_role: 'coder',
    dependencies,
    acceptance_criteria: { tests: [{ cmd: 'pytest -q' }] },
  });
  const res = await call('POST', '/v1/runs', {
    todo_list: {
      todo_list_id: 'loop',
      request: 'r',
      tasks: [task('a', ['c']), task('b', ['a']), task('c', ['b'])],
    },
  });
  assert.equal(res.status, 400);
  assert.deepEqual(res.body.error.problems, [
    {
      path: 'todo_list.tasks[0]',
      message: 'dependency cycle: a -> c -> b -> a; remove one of these dependencies',
    },
  ]);
  assert.equal(started.length, before, 'nothing was started');
});
