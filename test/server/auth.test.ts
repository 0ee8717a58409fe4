import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import fs from 'node:fs/promises';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { initialRollout, type Actor, type ModeFigures, type RunMode, type Role } from '../../contracts';
import { alertReceiver } from '../../server/alerts';
import { createApp } from '../../server/app';
import { authenticator, failureLimiter } from '../../server/auth';
import type { RolloutService } from '../../server/rollout-service';
import type { RunsService } from '../../server/runs-service';
import { usersStore, USERS_FILE } from '../../server/users';

/**
 * Who may do what over HTTP: every endpoint against every role (the table below is the specification,
 * written out, not computed from the code), tokens that are revoked or expired, the failed-auth rate
 * limit under 1,000 bad tokens, and JWTs checked against a JWKS served on loopback.
 */
const BOOTSTRAP = 'bootstrap-token-6f3e1a2b9c';
const RUN = 'devcrew-sma-1';

/** What reached the services, and as whom. */
const reached: { call: string; by: string | undefined }[] = [];
const runs: RunsService = {
  async start(_body, by) {
    reached.push({ call: 'start', by: by?.name });
    return { run_id: RUN, mode: 'crew' };
  },
  async list() {
    reached.push({ call: 'list', by: undefined });
    return [];
  },
  async get(id) {
    // An ended run (ratings need one) whose workers are down: the least a fake needs to say.
    const last = { mode: 'crew', status: 'completed', request: 'x', todo_list_id: null } as const;
    return { run_id: id, ...last, workers_down: true, message: 'no worker', result: null };
  },
  async decide(_id, gate, decision, by) {
    reached.push({ call: 'decide', by: by?.name });
    return {
      gate_id: gate,
      outcome: decision.decision === 'approve' ? 'approved' : 'rejected',
      approver: by?.name ?? '?',
      decided_at: '2026-12-03T00:00:00.000Z',
    };
  },
  async *events() {
    yield* [];
  },
  async cancel(_id, by) {
    reached.push({ call: 'cancel', by: by?.name });
  },
  async artifacts(id) {
    return { run_id: id, integration: null, tasks: [] };
  },
};
const figures = (mode: RunMode): ModeFigures => ({
  mode,
  ended: 0,
  completed: 0,
  failed: 0,
  stopped: 0,
  in_flight: 0,
  success_rate: null,
  failure_rate: null,
  median_duration_s: null,
  p90_duration_s: null,
  mean_cost_usd: null,
  mean_fix_iterations: null,
  security_incidents: 0,
  crashes: 0,
  failed_runs: [],
  window: { from: '2026-12-02T00:00:00.000Z', to: '2026-12-03T00:00:00.000Z' },
});
const state = { ...initialRollout('2026-12-03T00:00:00.000Z'), percent: 50 };
const rollout: RolloutService = {
  state: async () => state,
  view: async () => ({ state, figures: { crew: figures('crew'), 'single-agent': figures('single-agent') } }),
  change: async (c) => {
    reached.push({ call: 'rollout', by: c.by });
    return state;
  },
  rollback: async (r) => {
    reached.push({ call: 'rollback', by: r.by });
    return { applied: true, state };
  },
  rate: async (r) => {
    reached.push({ call: 'rate', by: r.by });
  },
  noteAlerts: async () => undefined,
};

const ROLES: Role[] = ['viewer', 'requester', 'approver', 'operator', 'admin'];
let stateDir: string;
const tokens = {} as Record<Role | 'bootstrap', string>;
const logged: string[] = [];
const servers: Server[] = [];

async function serve(options: Partial<Parameters<typeof createApp>[0]>): Promise<string> {
  const users = usersStore(stateDir);
  const app = createApp({
    runs,
    rollout,
    users,
    auth: authenticator({ users, bootstrapToken: BOOTSTRAP, ...(jwks ? { oidc: oidcSettings() } : {}) }),
    alerts: alertReceiver(rollout),
    namespace: 'default',
    readiness: async () => [{ name: 'temporal', ok: true, detail: 'answers' }],
    log: (m) => logged.push(m),
    ...options,
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let base: string;
before(async () => {
  stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-auth-'));
  await startJwks();
  const users = usersStore(stateDir);
  const admin: Actor = { name: 'setup', role: 'admin', credential_id: 'local', via: 'local' };
  for (const role of ROLES)
    tokens[role] = (await users.add({ name: `${role}-1`, role, expires_days: 30 }, admin)).token;
  tokens.bootstrap = BOOTSTRAP;
  base = await serve({ authFailuresPerMinute: 10_000 });
});
after(async () => {
  for (const s of servers) s.close();
  await fs.rm(stateDir, { recursive: true, force: true });
});

async function call(url: string, method: string, p: string, token: string | null, body?: unknown) {
  const res = await fetch(`${url}${p}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- read field by field
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    // an event stream or a page
  }
  return { status: res.status, body: json, text, retryAfter: res.headers.get('retry-after') };
}

const V = 'viewer',
  Q = 'requester',
  A = 'approver',
  O = 'operator',
  D = 'admin';
const EVERY_ROLE = [V, Q, A, O, D];
const webhook = {
  version: '4',
  status: 'firing',
  receiver: 'devcrew-api',
  groupKey: '{}',
  alerts: [{ status: 'firing', labels: { alertname: 'SomethingElse' }, annotations: {} }],
};

/** Every endpoint, and exactly the roles allowed it (the bootstrap token is an admin). */
const TABLE: {
  method: string;
  path: string;
  body?: (role: string) => unknown;
  roles: string[] | 'public';
}[] = [
  { method: 'GET', path: '/healthz', roles: 'public' },
  { method: 'GET', path: '/readyz', roles: 'public' },
  { method: 'GET', path: '/openapi.json', roles: 'public' },
  { method: 'GET', path: '/dashboard', roles: 'public' },
  { method: 'GET', path: '/v1/dashboard', roles: EVERY_ROLE },
  { method: 'GET', path: '/v1/me', roles: EVERY_ROLE },
  { method: 'GET', path: '/v1/runs', roles: EVERY_ROLE },
  { method: 'GET', path: `/v1/runs/${RUN}`, roles: EVERY_ROLE },
  { method: 'GET', path: `/v1/runs/${RUN}/events`, roles: EVERY_ROLE },
  { method: 'GET', path: `/v1/runs/${RUN}/artifacts`, roles: EVERY_ROLE },
  { method: 'GET', path: '/v1/rollout', roles: EVERY_ROLE },
  { method: 'POST', path: '/v1/runs', body: () => ({ request: 'Create SMA' }), roles: [Q, D] },
  { method: 'POST', path: `/v1/runs/${RUN}/cancel`, roles: [Q, D] },
  {
    method: 'POST',
    path: `/v1/runs/${RUN}/feedback`,
    body: () => ({ rating: 4 }),
    roles: [Q, D],
  },
  {
    method: 'POST',
    path: `/v1/runs/${RUN}/approvals/plan`,
    body: () => ({ decision: 'approve', approver: 'someone-else' }),
    roles: [A, D],
  },
  { method: 'PUT', path: '/v1/rollout', body: () => ({ percent: 10, reason: 'ramp' }), roles: [O, D] },
  { method: 'POST', path: '/v1/rollout/rollback', body: () => ({ reason: 'failing' }), roles: [O, D] },
  { method: 'POST', path: '/v1/alerts', body: () => webhook, roles: [O, D] },
  { method: 'GET', path: '/v1/users', roles: [D] },
  { method: 'POST', path: '/v1/users', body: (r) => ({ name: `made-by-${r}`, role: 'viewer' }), roles: [D] },
];

test('every endpoint against every role: allowed ones answer 2xx as that person, the rest 401/403 and reach nothing', async () => {
  const failures: string[] = [];
  for (const row of TABLE) {
    for (const who of [null, ...ROLES, 'bootstrap'] as const) {
      const role = who === 'bootstrap' ? 'admin' : who;
      const before = reached.length;
      const res = await call(base, row.method, row.path, who ? tokens[who] : null, row.body?.(who ?? 'none'));
      const allowed = row.roles === 'public' || (role !== null && row.roles.includes(role));
      const where = `${row.method} ${row.path} as ${who ?? 'nobody'}: ${res.status} ${res.text.slice(0, 200)}`;
      if (allowed && (res.status < 200 || res.status > 299))
        failures.push(`refused, should be allowed: ${where}`);
      if (!allowed) {
        const expected = who === null ? [401, 'UNAUTHORIZED'] : [403, 'FORBIDDEN'];
        if (res.status !== expected[0] || res.body?.error?.code !== expected[1])
          failures.push(`should be ${expected.join(' ')}: ${where}`);
        if (who && !new RegExp(`is ${role}, which may not`).test(res.body?.error?.message ?? ''))
          failures.push(`the refusal does not name the role: ${where}`);
        if (reached.length !== before) failures.push(`a refused call reached the service: ${where}`);
      }
      if (allowed && reached.length > before && row.roles !== 'public' && reached.at(-1)!.call !== 'list') {
        const by = reached.at(-1)!.by ?? '';
        const name = who === 'bootstrap' ? 'bootstrap-admin' : `${who}-1`;
        if (!by.includes(name)) failures.push(`recorded as "${by}", not ${name}: ${where}`);
      }
    }
  }
  assert.deepEqual(failures, []);
});

test('an approval is recorded under the authenticated name, even when the body names someone else', async () => {
  const res = await call(base, 'POST', `/v1/runs/${RUN}/approvals/plan`, tokens.approver, {
    decision: 'approve',
    approver: 'ana',
  });
  assert.equal(res.status, 200);
  assert.equal(res.body.approver, 'approver-1');
  assert.deepEqual(reached.at(-1), { call: 'decide', by: 'approver-1' });
  // So is a rating given with a person's token.
  const rated = await call(base, 'POST', `/v1/runs/${RUN}/feedback`, tokens.requester, {
    rating: 2,
    by: 'mallory',
  });
  assert.equal(rated.status, 202);
  assert.equal(rated.body.rating.by, 'requester-1');
  assert.match(rated.body.rating.credential_id, /^usr_[0-9a-f]{16}$/);
  const me = await call(base, 'GET', '/v1/me', tokens.approver);
  assert.deepEqual(me.body.actor.name, 'approver-1');
  assert.match(me.body.actor.credential_id, /^usr_[0-9a-f]{16}$/);
});

test('a revoked or expired token is refused; a user added over HTTP works at once and its token is stored only as a hash', async () => {
  const users = usersStore(stateDir);
  const added = await call(base, 'POST', '/v1/users', tokens.admin, {
    name: 'bo',
    role: 'requester',
    expires_days: 7,
  });
  assert.equal(added.status, 201);
  const token: string = added.body.token;
  assert.equal((await call(base, 'POST', '/v1/runs', token, { request: 'x' })).status, 202);
  const file = await fs.readFile(path.join(stateDir, USERS_FILE), 'utf8');
  assert.ok(!file.includes(token), 'the token is not in the users file');
  // dcw_<hex id>_<base64url secret>: the secret may itself hold '_', so it is all that follows the id.
  const secret = token.split('_').slice(2).join('_');
  assert.ok(secret.length >= 40 && !file.includes(secret), 'nor its secret part');

  assert.equal((await call(base, 'DELETE', '/v1/users/bo', tokens.approver)).status, 403);
  const revoked = await call(base, 'DELETE', '/v1/users/bo', tokens.admin);
  assert.equal(revoked.status, 200);
  assert.equal(revoked.body.user.status, 'revoked');
  const after = await call(base, 'POST', '/v1/runs', token, { request: 'x' });
  assert.deepEqual([after.status, after.body.error.code], [401, 'UNAUTHORIZED']);
  assert.match(after.body.error.message, /revoked/);

  const admin: Actor = { name: 'setup', role: 'admin', credential_id: 'local', via: 'local' };
  const old = await users.add(
    { name: 'old', role: 'viewer', expires_days: 1 },
    admin,
    new Date(Date.now() - 2 * 86_400_000),
  );
  const expired = await call(base, 'GET', '/v1/runs', old.token);
  assert.equal(expired.status, 401);
  assert.match(expired.body.error.message, /expired/);

  const twice = await call(base, 'POST', '/v1/users', tokens.admin, { name: 'viewer-1', role: 'admin' });
  assert.deepEqual([twice.status, twice.body.error.code], [409, 'USER_EXISTS']);
  const bad = await call(base, 'POST', '/v1/users', tokens.admin, { name: 'Ana Smith', role: 'boss' });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body.error.problems.map((p: { path: string }) => p.path).sort(), ['name', 'role']);
});

test('with nothing configured, reads stay open and changes are refused as before (the laptop)', async () => {
  const empty = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-auth-empty-'));
  const url = await serve({ users: usersStore(empty), auth: authenticator({ users: usersStore(empty) }) });
  assert.equal((await call(url, 'GET', '/v1/runs', null)).status, 200);
  const start = await call(url, 'POST', '/v1/runs', null, { request: 'x' });
  assert.deepEqual([start.status, start.body.error.code], [503, 'API_TOKEN_NOT_SET']);
  await fs.rm(empty, { recursive: true, force: true });
});

test('1,000 bad tokens: 401 then 429 with Retry-After, never a 5xx, and no token in any log line', async () => {
  const url = await serve({ authFailuresPerMinute: 20 });
  const sent: string[] = [];
  const statuses = new Map<number, number>();
  let retryAfter: string | null = null;
  for (let i = 0; i < 1000; i += 50) {
    const batch = Array.from({ length: 50 }, (_, j) => {
      const kind = (i + j) % 4;
      const token =
        kind === 0
          ? `dcw_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`
          : kind === 1
            ? `${randomBytes(12).toString('base64url')}.${randomBytes(40).toString('base64url')}.${randomBytes(20).toString('base64url')}`
            : kind === 2
              ? tokens.admin.slice(0, -4) + randomBytes(3).toString('base64url')
              : randomBytes(24).toString('hex');
      sent.push(token);
      return call(url, 'POST', '/v1/runs', token, { request: 'x' });
    });
    for (const r of await Promise.all(batch)) {
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status === 429) retryAfter = r.retryAfter;
    }
  }
  assert.deepEqual([...statuses.keys()].sort(), [401, 429], JSON.stringify([...statuses]));
  assert.equal(statuses.get(401), 20, 'the first 20 failures in the minute are answered 401');
  assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 60, `Retry-After ${retryAfter}`);
  // Even the right token waits out the window.
  assert.equal((await call(url, 'GET', '/v1/runs', tokens.admin)).status, 429);
  const log = logged.join('\n');
  assert.match(log, /authentication refused from 127\.0\.0\.1/);
  assert.match(log, /reached 20 failed authentications/);
  for (const t of [...sent, ...Object.values(tokens)]) assert.ok(!log.includes(t), 'a token reached the log');
  const file = await fs.readFile(path.join(stateDir, USERS_FILE), 'utf8');
  for (const t of [...sent, ...Object.values(tokens)])
    assert.ok(!file.includes(t), 'a token is in the users file');
});

test('the failure limit is per client and lifts when its minute is over', () => {
  let now = 0;
  const limiter = failureLimiter(3, 60_000, () => now);
  for (let i = 0; i < 3; i++) limiter.fail('10.0.0.1');
  assert.equal(limiter.blocked('10.0.0.1'), 60);
  assert.equal(limiter.blocked('10.0.0.2'), undefined, 'another client is not blocked');
  now = 45_000;
  assert.equal(limiter.blocked('10.0.0.1'), 15);
  now = 60_000;
  assert.equal(limiter.blocked('10.0.0.1'), undefined);
});

// ---- OIDC/JWT against a JWKS on loopback ----

let jwks: { url: string; server: Server } | undefined;
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ISSUER = 'https://idp.example.test';
const AUDIENCE = 'devcrew-api';
const oidcSettings = () => ({
  jwksUrl: jwks!.url,
  issuer: ISSUER,
  audience: AUDIENCE,
  roleClaim: 'devcrew_role',
  nameClaim: 'preferred_username',
});

async function startJwks() {
  const keys = [
    { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  const server = http.createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  jwks = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`, server };
}

function jwt(
  claims: Record<string, unknown>,
  o: { key?: KeyObject; kid?: string; alg?: string } = {},
): string {
  const alg = o.alg ?? 'RS256';
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const head = enc({ alg, kid: o.kid ?? 'rsa-1', typ: 'JWT' });
  const body = enc(claims);
  if (alg === 'none') return `${head}.${body}.`;
  const key = o.key ?? rsa.privateKey;
  const signature = sign('sha256', Buffer.from(`${head}.${body}`), {
    key,
    ...(alg.startsWith('ES') ? { dsaEncoding: 'ieee-p1363' as const } : {}),
  });
  return `${head}.${body}.${signature.toString('base64url')}`;
}

const now = () => Math.floor(Date.now() / 1000);
const good = (extra: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  aud: [AUDIENCE, 'other'],
  sub: 'u-123',
  preferred_username: 'carla',
  devcrew_role: 'approver',
  exp: now() + 600,
  iat: now(),
  jti: 'j-1',
  ...extra,
});

test('a JWT signed by the JWKS with the right issuer and audience is accepted with its role; wrong ones are refused', async () => {
  const ok = await call(base, 'POST', `/v1/runs/${RUN}/approvals/plan`, jwt(good()), {
    decision: 'approve',
    approver: 'mallory',
  });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.approver, 'carla');
  const me = await call(
    base,
    'GET',
    '/v1/me',
    jwt(good({ devcrew_role: ['devcrew:operator'] }), { key: ec.privateKey, kid: 'ec-1', alg: 'ES256' }),
  );
  assert.equal(me.status, 200, me.text);
  assert.deepEqual(
    [me.body.actor.role, me.body.actor.via, me.body.actor.credential_id],
    ['operator', 'jwt', `jwt:${ISSUER}#j-1`],
  );
  // An approver's JWT may not change the rollout.
  assert.equal(
    (await call(base, 'PUT', '/v1/rollout', jwt(good()), { percent: 5, reason: 'x' })).status,
    403,
  );

  const refused: [string, string, RegExp][] = [
    ['wrong audience', jwt(good({ aud: 'someone-else' })), /another audience/],
    ['wrong issuer', jwt(good({ iss: 'https://evil.example.test' })), /issuer/],
    ['expired', jwt(good({ exp: now() - 3600 })), /expired/],
    ['not yet valid', jwt(good({ nbf: now() + 3600 })), /not valid yet/],
    ['wrong signature', jwt(good(), { key: stranger.privateKey }), /signature/],
    ['alg none', jwt(good(), { alg: 'none' }), /algorithm "none"/],
    ['unknown key', jwt(good(), { kid: 'rsa-9' }), /no RSA key/],
    ['no devcrew role', jwt(good({ devcrew_role: 'superuser' })), /names no devcrew role/],
  ];
  for (const [what, token, message] of refused) {
    const res = await call(base, 'GET', '/v1/runs', token);
    assert.equal(res.status, 401, what);
    assert.match(res.body.error.message, message, what);
  }
  // A tampered payload under a good signature.
  const [h, , s] = jwt(good()).split('.');
  const forged = `${h}.${Buffer.from(JSON.stringify(good({ devcrew_role: 'admin' }))).toString('base64url')}.${s}`;
  assert.equal((await call(base, 'GET', '/v1/users', forged)).status, 401);
});
