import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { devcrew } from '../support/cli';

/**
 * `devcrew users` as a person runs it, and the role check of every command that acts on a devcrew:
 * refused commands say who the caller is and which roles would do; allowed ones go on (here to a
 * Temporal address nobody answers, so they stop there).
 */
let stateDir: string;
const tokens: Record<string, string> = {};

const run = (args: string[], token: string | null) =>
  devcrew(args, {
    env: {
      DEVCREW_STATE_DIR: stateDir,
      DEVCREW_API_TOKEN: '',
      DEVCREW_TOKEN: token ?? '',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      DEVCREW_OIDC_JWKS_URL: '',
      DEVCREW_OIDC_ISSUER: '',
      DEVCREW_OIDC_AUDIENCE: '',
    },
  });

before(async () => {
  stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-users-cli-'));
});
after(async () => fs.rm(stateDir, { recursive: true, force: true }));

test('the first admin is added at the keyboard; from then on every command needs a token', async () => {
  const empty = await run(['users', 'list'], null);
  assert.equal(empty.code, 0, empty.stderr);
  assert.match(empty.stdout, /no users yet/);

  const added = await run(['users', 'add', 'erin', '--role', 'admin', '--expires', '30', '--json'], null);
  assert.equal(added.code, 0, added.stderr);
  const body = JSON.parse(added.stdout) as {
    token: string;
    user: { name: string; role: string; expires_at: string };
  };
  assert.match(body.token, /^dcw_[0-9a-f]{16}_[\w-]{43}$/);
  assert.deepEqual([body.user.name, body.user.role], ['erin', 'admin']);
  const days = (Date.parse(body.user.expires_at) - Date.now()) / 86_400_000;
  assert.ok(days > 29.9 && days <= 30, `expires in ${days} days`);
  tokens.admin = body.token;

  const anonymous = await run(['users', 'list'], null);
  assert.equal(anonymous.code, 1);
  assert.match(anonymous.stderr, /set DEVCREW_TOKEN to your token/);
  // One character changed (never to itself: a token ending in A would otherwise stay right).
  const wrong = await run(['runs'], `${body.token.slice(0, -1)}${body.token.endsWith('A') ? 'B' : 'A'}`);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /DEVCREW_TOKEN was refused: unknown token/);

  for (const role of ['viewer', 'requester', 'approver', 'operator']) {
    const r = await run(['users', 'add', `${role}-1`, '--role', role, '--json'], tokens.admin);
    assert.equal(r.code, 0, r.stderr);
    tokens[role] = (JSON.parse(r.stdout) as { token: string }).token;
  }
  const human = await run(['users', 'add', 'gus', '--role', 'viewer'], tokens.admin);
  assert.match(human.stdout, /token \(shown once; give it to gus privately\):\ndcw_/);

  const file = await fs.readFile(path.join(stateDir, 'users.json'), 'utf8');
  for (const t of Object.values(tokens)) assert.ok(!file.includes(t), 'no token in the users file');
  const listed = await run(['users', 'list'], tokens.admin);
  assert.match(listed.stdout, /viewer-1 +viewer +active +usr_[0-9a-f]{16}/);
  for (const t of Object.values(tokens)) assert.ok(!listed.stdout.includes(t), 'no token in the listing');
});

test('bad input names what is wrong and how to fix it', async () => {
  const role = await run(['users', 'add', 'hal', '--role', 'boss'], tokens.admin!);
  assert.equal(role.code, 2);
  assert.match(role.stderr, /role: expected a role: viewer, requester, approver, operator or admin/);
  const expires = await run(['users', 'add', 'hal', '--role', 'viewer', '--expires', '0'], tokens.admin!);
  assert.match(expires.stderr, /expires_days must be at least 1/);
  const name = await run(['users', 'add', 'Hal Smith', '--role', 'viewer'], tokens.admin!);
  assert.match(name.stderr, /name: a user name is 1-64 lower-case letters/);
  const noRole = await run(['users', 'add', 'hal'], tokens.admin!);
  assert.match(noRole.stderr, /give a role: --role viewer\|requester\|approver\|operator\|admin/);
  const twice = await run(['users', 'add', 'viewer-1', '--role', 'viewer'], tokens.admin!);
  assert.match(twice.stderr, /USER_EXISTS.*revoke it first: devcrew users revoke viewer-1/);
});

/** Every command that acts on a devcrew, and exactly the roles allowed it. */
const ALL = ['viewer', 'requester', 'approver', 'operator', 'admin'];
const COMMANDS: [string[], string, string[]][] = [
  [['status', 'devcrew-x'], 'read', ALL],
  [['runs'], 'read', ALL],
  [['artifacts', 'devcrew-x'], 'read', ALL],
  [['rollout', 'status'], 'read', ALL],
  [['audit'], 'read', ALL],
  [['run', 'Create SMA', '--no-wait'], 'start', ['requester', 'admin']],
  [['cancel', 'devcrew-x'], 'cancel', ['requester', 'admin']],
  [['rate', 'devcrew-x', '4'], 'rate', ['requester', 'admin']],
  [['approve', 'devcrew-x', 'plan'], 'decide', ['approver', 'admin']],
  [['reject', 'devcrew-x', 'plan'], 'decide', ['approver', 'admin']],
  [['rollout', 'set', '10', '-m', 'ramp'], 'rollout', ['operator', 'admin']],
  [['rollout', 'rollback', '-m', 'failing'], 'rollout', ['operator', 'admin']],
  [['users', 'list'], 'users', ['admin']],
  [['users', 'revoke', 'gus'], 'users', ['admin']],
];

test('every CLI command against every role', { timeout: 900_000 }, async () => {
  const cases = COMMANDS.flatMap(([args, action, roles]) =>
    ALL.map((role) => ({ args, action, roles, role })),
  );
  const failures: string[] = [];
  for (let i = 0; i < cases.length; i += 4) {
    await Promise.all(
      cases.slice(i, i + 4).map(async ({ args, action, roles, role }) => {
        // Revoking is tried by the refused roles only, so the allowed case is not spent before it runs.
        if (args[1] === 'revoke' && roles.includes(role)) return;
        const r = await run(args, tokens[role]!);
        const refusal = new RegExp(
          `${role}-1 is ${role}, which may not ${action}; this needs one of: ${roles.join(', ')}`,
        );
        const where = `devcrew ${args.join(' ')} as ${role}: exit ${r.code} ${r.stderr.slice(0, 300)}`;
        if (roles.includes(role) && /which may not/.test(r.stderr)) failures.push(`refused: ${where}`);
        if (!roles.includes(role) && (r.code !== 1 || !refusal.test(r.stderr)))
          failures.push(`allowed: ${where}`);
      }),
    );
  }
  assert.deepEqual(failures, []);
});

test('a revoked token is refused at once', async () => {
  const revoked = await run(['users', 'revoke', 'viewer-1'], tokens.admin!);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.match(revoked.stdout, /revoked viewer-1 \(usr_[0-9a-f]{16}\)/);
  const after = await run(['runs'], tokens.viewer!);
  assert.equal(after.code, 1);
  assert.match(after.stderr, /token usr_[0-9a-f]{16} of viewer-1 is revoked/);
  const list = await run(['users', 'list', '--json'], tokens.admin!);
  const viewer = (JSON.parse(list.stdout) as { name: string; status: string }[]).find(
    (u) => u.name === 'viewer-1',
  );
  assert.equal(viewer?.status, 'revoked');
});
