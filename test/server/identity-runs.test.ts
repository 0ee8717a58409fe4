import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import type { Actor, Role } from '../../contracts';
import { usersStore } from '../../server/users';
import { until, type Json } from '../support/api';
import { devcrew } from '../support/cli';
import { startTestStack, type TestStack } from '../support/stack';

/**
 * People on a real devcrew (Temporal, workers, the HTTP API, the CLI as a user runs it), with the gate
 * policy four eyes and two distinct approvers: who starts, approves and cancels is the authenticated
 * person, refused where the policy or the role says no, and recorded in the run's history with the
 * credential id, which `devcrew audit` shows. No token reaches a history, a commit, a log or a file.
 */
const BOOTSTRAP = 'identity-bootstrap-token-8c1d';
const PREFIX = 'identity-';
let t: TestStack;
const tokens = {} as Record<string, string>;
const ids = {} as Record<string, string>;

before(async () => {
  t = await startTestStack({
    prefix: PREFIX,
    token: BOOTSTRAP,
    env: { DEVCREW_GATE_APPROVALS: '2', DEVCREW_GATE_FOUR_EYES: 'on' },
  });
  const users = usersStore(t.stateDir);
  const admin: Actor = { name: 'setup', role: 'admin', credential_id: 'local', via: 'local' };
  const people: [string, Role][] = [
    ['erin', 'admin'],
    ['ana', 'requester'],
    ['bo', 'requester'],
    ['carla', 'approver'],
    ['dan', 'approver'],
    ['vic', 'viewer'],
  ];
  for (const [name, role] of people) {
    const { token, user } = await users.add({ name, role, expires_days: 1 }, admin);
    tokens[name] = token;
    ids[name] = user.credential_id;
  }
});
after(async () => t?.stop());

async function http(method: string, url: string, token: string | null, body?: unknown) {
  const res = await fetch(`${t.api}${url}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

/** The CLI as `who` runs it against this stack. */
const cli = (args: string[], who: string | null) =>
  devcrew(args, {
    env: {
      TEMPORAL_ADDRESS: t.address,
      DEVCREW_TASK_QUEUE_PREFIX: PREFIX,
      DEVCREW_STATE_DIR: t.stateDir,
      DEVCREW_API_TOKEN: '',
      DEVCREW_TOKEN: who ? tokens[who] : '',
    },
  });

const gateOpen = (runId: string) =>
  until(`the plan gate of ${runId}`, async () => {
    const r = await http('GET', `/v1/runs/${runId}`, tokens.vic!);
    return r.body.pending_gates?.some((g: Json) => g.gate_id === 'plan') ? r.body : undefined;
  });

let firstRun: string;
let secondRun: string;

test(
  'four eyes and two approvers: the requester is refused, the same approver twice is refused, two others approve under their own names',
  { timeout: 240_000 },
  async () => {
    const started = await http('POST', '/v1/runs', tokens.erin!, {
      request: 'Create simple SMA crossover strategy',
      options: { mode: 'crew' },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    firstRun = started.body.run_id;
    await gateOpen(firstRun);

    // Erin asked for the run: as an admin she may decide gates, but not this one.
    const self = await http('POST', `/v1/runs/${firstRun}/approvals/plan`, tokens.erin!, {
      decision: 'approve',
    });
    assert.deepEqual([self.status, self.body.error.code], [403, 'SELF_APPROVAL']);
    const selfCli = await cli(['approve', firstRun, 'plan'], 'erin');
    assert.equal(selfCli.code, 1);
    assert.match(selfCli.stderr, /SELF_APPROVAL.*erin requested run/);
    // A requester may not decide at all, whoever's run it is.
    const requester = await cli(['approve', firstRun, 'plan'], 'ana');
    assert.equal(requester.code, 1);
    assert.match(
      requester.stderr,
      /ana is requester, which may not decide; this needs one of: approver, admin/,
    );

    const first = await http('POST', `/v1/runs/${firstRun}/approvals/plan`, tokens.carla!, {
      decision: 'approve',
      approver: 'mallory',
      comment: 'looks right',
    });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(
      [first.body.outcome, first.body.approver, first.body.approvals, first.body.approvals_needed],
      ['pending', 'carla', ['carla'], 2],
    );
    const again = await http('POST', `/v1/runs/${firstRun}/approvals/plan`, tokens.carla!, {
      decision: 'approve',
    });
    assert.deepEqual([again.status, again.body.error.code], [409, 'DUPLICATE_APPROVAL']);
    assert.equal((await http('GET', `/v1/runs/${firstRun}`, tokens.vic!)).body.status, 'awaiting_approval');

    const second = await cli(['approve', firstRun, 'plan', '-m', 'second pair of eyes'], 'dan');
    assert.equal(second.code, 0, second.stderr);
    const outcome = JSON.parse(second.stdout) as Json;
    assert.deepEqual([outcome.outcome, outcome.approver], ['approved', 'carla, dan']);

    // The run goes on to the end; its integration commit names who asked and who approved.
    const done = await until(
      `${firstRun} to end`,
      async () => {
        const r = await http('GET', `/v1/runs/${firstRun}`, tokens.vic!);
        return ['running', 'awaiting_approval'].includes(r.body.status) ? undefined : r.body;
      },
      240,
    );
    assert.equal(done.status, 'completed', JSON.stringify(done).slice(0, 1000));
    const message = await git(['log', '-1', '--format=%B', `ai/generated/${firstRun}/_integration`]);
    assert.match(message, new RegExp(`^Requested-By: erin \\(${ids.erin}\\)$`, 'm'));
    assert.match(message, new RegExp(`^Decided-By: approve plan by carla \\(${ids.carla}\\)$`, 'm'));
    assert.match(message, new RegExp(`^Decided-By: approve plan by dan \\(${ids.dan}\\)$`, 'm'));
  },
);

test(
  "a requester cancels their own run, not another requester's; a viewer reads but changes nothing",
  { timeout: 180_000 },
  async () => {
    const started = await http('POST', '/v1/runs', tokens.ana!, {
      request: 'Create simple SMA crossover strategy',
    });
    assert.equal(started.status, 202);
    secondRun = started.body.run_id;
    const other = await http('POST', `/v1/runs/${secondRun}/cancel`, tokens.bo!);
    assert.deepEqual([other.status, other.body.error.code], [403, 'FORBIDDEN']);
    assert.match(other.body.error.message, /bo is a requester and may cancel only their own runs/);
    const viewer = await cli(['cancel', secondRun], 'vic');
    assert.equal(viewer.code, 1);
    assert.match(viewer.stderr, /vic is viewer, which may not cancel/);
    assert.equal((await cli(['status', secondRun], 'vic')).code, 0);
    const nobody = await cli(['status', secondRun], null);
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /set DEVCREW_TOKEN/);
    const own = await http('POST', `/v1/runs/${secondRun}/cancel`, tokens.ana!);
    assert.equal(own.status, 202);
    await until('the run to be cancelled', async () => {
      const r = await http('GET', `/v1/runs/${secondRun}`, tokens.vic!);
      return r.body.status === 'cancelled' ? r : undefined;
    });
  },
);

test(
  'devcrew audit shows every change with the person and the credential id, and no token is anywhere',
  { timeout: 120_000 },
  async () => {
    const first = await cli(['audit', firstRun, '--json'], 'vic');
    assert.equal(first.code, 0, first.stderr);
    const entries = (JSON.parse(first.stdout) as Json[]).map((e) => [e.action, e.by, e.credential_id]);
    assert.deepEqual(entries, [
      ['start', 'erin', ids.erin],
      ['gate_decision', 'carla', ids.carla],
      ['gate_decision', 'dan', ids.dan],
    ]);
    const second = await cli(['audit', secondRun], 'vic');
    assert.match(second.stdout, new RegExp(`start +ana \\[${ids.ana}\\]`));
    assert.match(second.stdout, new RegExp(`cancel +ana \\[${ids.ana}\\]`));

    const rollout = await http('PUT', '/v1/rollout', BOOTSTRAP, {
      percent: 10,
      reason: 'a week of good runs',
    });
    assert.equal(rollout.status, 200, JSON.stringify(rollout.body));
    const added = await cli(['users', 'add', 'fay', '--role', 'operator', '--json'], 'erin');
    assert.equal(added.code, 0, added.stderr);
    tokens.fay = (JSON.parse(added.stdout) as Json).token;
    const all = await cli(['audit'], 'vic');
    assert.match(
      all.stdout,
      /rollout_change +bootstrap-admin \[bootstrap\]: percent=10: a week of good runs/,
    );
    assert.match(all.stdout, new RegExp(`user_add +erin \\[${ids.erin}\\]: add fay \\(operator`));

    // Every token, searched for in the runs' histories and everything under the state dir (the users
    // file, the artifact repository and its commits, logs).
    const secrets = [BOOTSTRAP, ...Object.values(tokens)];
    for (const runId of [firstRun, secondRun]) {
      const history = JSON.stringify(await t.stack.client.workflow.getHandle(runId).fetchHistory());
      for (const s of secrets) assert.ok(!history.includes(s), `a token is in the history of ${runId}`);
    }
    const found = await grep(t.stateDir, secrets);
    assert.deepEqual(found, [], 'no file under the state dir holds a token');
    const commits = await git(['log', '--all', '-p', '--format=%B']);
    assert.match(commits, /Requested-By: erin/, 'the commits were read');
    for (const s of secrets) assert.ok(!commits.includes(s), 'a token is in a commit');
  },
);

async function grep(dir: string, needles: string[]): Promise<string[]> {
  const hits: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const content = await fs.readFile(file).catch(() => Buffer.alloc(0));
    for (const n of needles) if (content.includes(n)) hits.push(`${file}: ${n.slice(0, 8)}…`);
  }
  return hits;
}

async function git(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('git', args, {
    cwd: path.join(t.stateDir, 'artifacts'),
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}
