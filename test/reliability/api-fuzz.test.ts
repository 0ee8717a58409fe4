import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestStack, type TestStack } from '../support/stack';

/**
 * 1,000 malformed or hostile requests against the real API on the real stack (a fixed seed, so a
 * failure reproduces): bad JSON, huge bodies, wrong types, unicode, path tricks, missing or wrong
 * tokens. None may get a 5xx or crash the server, every error is a JSON error naming the problem, no
 * run is started by any of them, and the server still runs a real request afterwards.
 */
const TOKEN = 'fuzz-token-0f1e2d3c';
let t: TestStack;
let api: string;

before(async () => {
  // The fuzz is about hostile requests, not the failed-auth limit (test/server/auth.test.ts has that).
  t = await startTestStack({
    prefix: 'fuzz-',
    token: TOKEN,
    env: { DEVCREW_AUTH_FAILURES_PER_MINUTE: '10000' },
  });
  api = t.api;
});
after(async () => t?.stop());

/** A small seeded generator (mulberry32), so the same 1,000 requests run every time. */
function rng(seed: number) {
  let a = seed;
  const next = () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  return { next, pick };
}

const IDS = [
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e%2f%2e%2e%2f',
  'devcrew-' + 'x'.repeat(5000),
  '%00',
  '%F0%9F%92%A5-run',
  'run%20with%20spaces',
  '%E2%80%AE%E2%80%8B',
  'a'.repeat(300),
  '%25',
  'devcrew-nope-12345678',
  '__proto__',
  'constructor',
];
const STRINGS = [
  '',
  ' ',
  '\u0000',
  '\u202e',
  '💥'.repeat(50),
  'x'.repeat(20_000),
  '<script>alert(1)</script>',
  '${7*7}',
  "'; DROP TABLE runs;--",
];
const WRONG = [null, 0, -1, 1e308, true, [], {}, [1, 2], { $gt: '' }, 'NaN'];

function hostileBody(r: ReturnType<typeof rng>): string {
  switch (Math.floor(r.next() * 12)) {
    case 0:
      return '{"request": "unterminated';
    case 1:
      return '\u0000\u0001\u0002';
    case 2:
      return JSON.stringify({ request: r.pick(WRONG) });
    case 3:
      return JSON.stringify({ request: 'x'.repeat(10_001) });
    case 4:
      return JSON.stringify({ todo_list: r.pick(WRONG) });
    case 5:
      return JSON.stringify({ request: 'ok', options: { mode: r.pick([...STRINGS, ...WRONG]) } });
    case 6:
      return JSON.stringify({ request: 'ok', colour: 'red' });
    case 7:
      return '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}';
    case 8:
      return JSON.stringify({ percent: r.pick([101, -5, 3.5, '50', null]), reason: r.pick(STRINGS) });
    case 9:
      return JSON.stringify({
        decision: r.pick(['maybe', ...WRONG]),
        approver: r.pick([...STRINGS, ...WRONG]),
      });
    case 10:
      return '['.repeat(5000) + ']'.repeat(5000);
    default:
      return JSON.stringify({ request: r.pick(STRINGS.filter((s) => s.trim() === '' || s.length > 10_000)) });
  }
}

test(
  '1,000 hostile requests: no 5xx, every error a JSON error naming the problem, nothing started, the server still works',
  { timeout: 600_000 },
  async () => {
    const r = rng(20261125);
    const before = (await t.stack.runs.list({ limit: 500 })).length;
    const failures: string[] = [];
    const codes = new Map<number, number>();
    for (let i = 0; i < 1000; i++) {
      const id = r.pick(IDS);
      const route = r.pick([
        ['POST', '/v1/runs'],
        ['PUT', '/v1/rollout'],
        ['POST', '/v1/rollout/rollback'],
        ['POST', `/v1/runs/${id}/approvals/${r.pick(IDS)}`],
        ['POST', `/v1/runs/${id}/cancel`],
        ['GET', `/v1/runs/${id}`],
        ['GET', `/v1/runs/${id}/artifacts`],
        ['GET', `/v1/runs/${id}/events`],
        [
          'GET',
          `/v1/runs?status=${encodeURIComponent(r.pick(STRINGS))}&limit=${r.pick(['-1', 'abc', '1e9', ''])}`,
        ],
        ['GET', `/v1/runs?mode=${encodeURIComponent(r.pick(STRINGS))}`],
        ['DELETE', '/v1/runs'],
        ['GET', `/${id}/../../etc/passwd`],
      ] as const);
      // Header values are bytes: a Latin-1 token stands in for "unicode" (fetch refuses anything above U+00FF).
      const token = r.pick([
        TOKEN,
        TOKEN,
        '',
        'wrong',
        `${TOKEN}x`,
        'tøkén\u00ff',
        'Bearer',
        'x'.repeat(5000),
      ]);
      const huge = r.next() < 0.01;
      const body =
        route[0] === 'GET'
          ? undefined
          : huge
            ? JSON.stringify({ request: 'x'.repeat(2_000_000) })
            : hostileBody(r);
      const res = await fetch(`${api}${route[1]}`, {
        method: route[0],
        headers: {
          'content-type': r.pick([
            'application/json',
            'application/json',
            'text/plain',
            'application/json; charset=utf-16',
          ]),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(route[1].endsWith('/events')
            ? { 'last-event-id': r.pick(['0', '-1', 'x', '99999999999999999999']) }
            : {}),
        },
        body,
        signal: AbortSignal.timeout(15_000),
      }).catch((err: Error) => ({ status: 0, error: err }) as const);
      if ('error' in res) {
        failures.push(`#${i} ${route[0]} ${route[1].slice(0, 80)}: no answer (${res.error.message})`);
        continue;
      }
      codes.set(res.status, (codes.get(res.status) ?? 0) + 1);
      const text = res.headers.get('content-type')?.startsWith('text/event-stream') ? '' : await res.text();
      if (res.status >= 500)
        failures.push(`#${i} ${route[0]} ${route[1].slice(0, 80)}: ${res.status} ${text.slice(0, 200)}`);
      if (res.status >= 400) {
        let json: { error?: { code?: string; message?: string } } = {};
        try {
          json = JSON.parse(text) as typeof json;
        } catch {
          failures.push(
            `#${i} ${route[0]} ${route[1].slice(0, 80)}: ${res.status} is not JSON: ${text.slice(0, 120)}`,
          );
        }
        if (!json.error?.code || !json.error.message)
          failures.push(`#${i}: ${res.status} without error.code and message`);
        if (/at .*\.ts:\d+/.test(text)) failures.push(`#${i}: a stack trace leaked: ${text.slice(0, 200)}`);
      }
    }
    assert.deepEqual(
      failures.slice(0, 20),
      [],
      `${failures.length} bad answers; status counts ${JSON.stringify([...codes])}`,
    );
    assert.ok(
      (codes.get(400) ?? 0) > 100 && (codes.get(401) ?? 0) > 50 && (codes.get(404) ?? 0) > 50,
      JSON.stringify([...codes]),
    );
    assert.equal(
      (await t.stack.runs.list({ limit: 500 })).length,
      before,
      'no hostile request started a run',
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');

    // Still serving: a real run goes through.
    const res = await fetch(`${api}/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({
        request: 'Create simple SMA crossover strategy',
        options: { gates: { plan: false }, mode: 'single-agent' },
      }),
    });
    assert.equal(res.status, 202);
    const { run_id } = (await res.json()) as { run_id: string };
    for (let i = 0; i < 600; i++) {
      const read = await fetch(`${api}/v1/runs/${run_id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const run = (await read.json()) as { status: string };
      if (run.status === 'completed') return;
      assert.ok(['running', 'awaiting_approval'].includes(run.status), run.status);
      await new Promise((r2) => setTimeout(r2, 250));
    }
    assert.fail('the run after the fuzz did not complete');
  },
);
