import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openArtifactStore, type GitArtifactStore } from '../../artifacts';
import { StartRunRequest } from '../../contracts';
import { publishRemoteFrom, readEnv } from '../../core/config';
import { ensureServerRepository, startGitServer, type GitServer } from '../../runtime/git-server';
import { apiClient, until, type Json } from '../support/api';
import { startTestStack, type TestStack } from '../support/stack';
import { commitInput, git, tempDir } from './helpers';

/**
 * Publishing a finished run to the team's repository: DEVCREW_ARTIFACTS_PUSH_URL on the workers (with
 * its token from the environment) or a run's own `options.push`. A remote that refuses is retried, then
 * reported on the run, which stays completed with its result in the local store.
 */
const TOKEN = 'publish-api-token-7d2a';
const TEAM_TOKEN = 'team-git-token-4b9c1e';
const OTHER_TOKEN = 'other-git-token-8e3f5a';
let dir: string;
let cleanup: () => Promise<void>;
let team: GitServer;
let other: GitServer;
let t: TestStack | undefined;

before(async () => {
  ({ dir, cleanup } = await tempDir('publish'));
  team = await startGitServer({ root: `${dir}/team`, port: 0, token: TEAM_TOKEN, repositories: ['team'] });
  other = await startGitServer({ root: `${dir}/other`, port: 0, token: OTHER_TOKEN, repositories: ['o'] });
});
after(async () => {
  await t?.stop();
  await team?.stop();
  await other?.stop();
  await cleanup();
});

async function filesContaining(root: string, text: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if ((await fs.readFile(file)).includes(text)) found.push(file);
  }
  return found;
}

async function finishedRun(store: GitArtifactStore, wf: string): Promise<string> {
  const a = await store.commit(commitInput({ 'codes/a.py': 'A = 1\n' }, { workflow_id: wf, task_id: 'a' }));
  await store.finishTask({ runId: wf, taskId: 'a', commit: a.commit });
  return (await store.integrate({ runId: wf, refs: [a] })).commit;
}

test('a remote whose pre-receive hook refuses: retried, then ARTIFACT_PUSH_FAILED with the hook’s words; nothing is lost locally', async () => {
  const store = await openArtifactStore({ repoDir: `${dir}/local-hook` });
  const commit = await finishedRun(store, 'wf-hook');
  const remote = `${dir}/guarded.git`;
  execFileSync('git', ['init', '-q', '--bare', remote]);
  const hook = path.join(remote, 'hooks', 'pre-receive');
  await fs.writeFile(hook, '#!/bin/sh\necho "refs under ai/generated are not accepted here" >&2\nexit 1\n');
  await fs.chmod(hook, 0o755);

  const published = await store.publish('wf-hook', { url: remote }, { attempts: 3, firstDelayMs: 20 });
  assert.equal(published.status, 'failed');
  assert.equal(published.attempts, 3);
  assert.match(
    published.error ?? '',
    /^\[ARTIFACT_PUSH_FAILED\] git push of run wf-hook to \S+ failed, the remote rejected the push: /,
  );
  assert.match(published.error ?? '', /refs under ai\/generated are not accepted here/);
  assert.match(published.error ?? '', /pre-receive hook declined/);
  assert.equal(git(remote, 'for-each-ref'), '', 'the remote took nothing');
  assert.equal(git(store.gitDir, 'rev-parse', 'refs/heads/ai/generated/wf-hook/_integration'), commit);
});

test('credentials come from the environment only: a wrong token is refused clearly, the right one pushes, neither is written anywhere', async () => {
  const store = await openArtifactStore({ repoDir: `${dir}/local-cred` });
  const commit = await finishedRun(store, 'wf-cred');
  const url = `${team.url}/team.git`;

  const wrong = await store.publish(
    'wf-cred',
    { url, credentials: { username: 'ci', password: 'not-the-team-token-1' } },
    { attempts: 2, firstDelayMs: 20 },
  );
  assert.equal(wrong.status, 'failed');
  assert.match(
    wrong.error ?? '',
    /failed, the remote refused the credentials: .*Authentication failed for 'http:\/\/127\.0\.0\.1:\d+\/team\.git\/'/,
  );
  assert.ok(!(wrong.error ?? '').includes('not-the-team-token-1'), 'the token is not in the message');

  const right = await store.publish('wf-cred', {
    url,
    credentials: { username: 'ci', password: TEAM_TOKEN },
  });
  assert.equal(right.status, 'pushed', right.error);
  const served = path.join(team.root, 'team.git');
  assert.equal(git(served, 'rev-parse', 'refs/heads/ai/generated/wf-cred/_integration'), commit);
  assert.equal(
    git(served, 'rev-parse', 'refs/tags/workflow_wf-cred_a'),
    git(store.gitDir, 'rev-parse', 'refs/tags/workflow_wf-cred_a'),
  );
  // No credential was stored in the store's configuration, nor anywhere else in its repository.
  assert.ok(!git(store.gitDir, 'config', '--list').includes(TEAM_TOKEN));
  assert.deepEqual(await filesContaining(store.gitDir, TEAM_TOKEN), []);
});

test(
  'runs publish themselves: DEVCREW_ARTIFACTS_PUSH_URL pushes a completed run; a run whose options.push names a refusing remote completes and says why',
  { timeout: 300_000 },
  async () => {
    await ensureServerRepository(team.root, 'runs');
    t = await startTestStack({
      prefix: 'publish-',
      token: TOKEN,
      env: {
        DEVCREW_ARTIFACTS_PUSH_URL: `${team.url}/runs.git`,
        DEVCREW_ARTIFACTS_PUSH_USERNAME: 'devcrew-bot',
        DEVCREW_ARTIFACTS_PUSH_TOKEN: TEAM_TOKEN,
      },
    });
    const http = apiClient(() => t!.api, TOKEN);
    const start = async (options: Json) => {
      const r = await http('POST', '/v1/runs', {
        todo_list: ONE_TASK,
        options: { mode: 'crew', ...options },
      });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      return r.body.run_id as string;
    };
    const ended = (id: string) =>
      until(`run ${id} to end`, async () => {
        const r = (await http('GET', `/v1/runs/${id}`)).body;
        return ['running', 'awaiting_approval'].includes(r.status) ? undefined : r;
      });
    const pushed = await start({});
    const refused = await start({ push: `${other.url}/o.git` });
    const [a, b] = await Promise.all([ended(pushed), ended(refused)]);

    assert.equal(a.status, 'completed', JSON.stringify(a).slice(0, 1500));
    assert.equal(a.artifacts.publish.status, 'pushed');
    assert.equal(a.artifacts.publish.url, `${team.url}/runs.git`);
    const served = path.join(team.root, 'runs.git');
    assert.equal(git(served, 'rev-parse', `refs/heads/${a.artifacts.branch}`), a.artifacts.commit);
    assert.equal(
      git(served, 'show', `${a.artifacts.commit}:codes/sma_strategy.py`),
      git(path.join(t.stateDir, 'artifacts'), 'show', `${a.artifacts.commit}:codes/sma_strategy.py`),
    );
    assert.ok(
      a.events.some((e: Json) => e.type === 'artifacts_published' && e.status === 'pushed'),
      'the run says where it was published',
    );

    assert.equal(b.status, 'completed', 'a refused publish does not fail the run');
    assert.equal(b.artifacts.publish.status, 'failed');
    assert.equal(b.artifacts.publish.attempts, 4);
    assert.match(
      b.artifacts.publish.error,
      /^\[ARTIFACT_PUSH_FAILED\] git push of run \S+ to http:\/\/127\.0\.0\.1:\d+\/o\.git failed, the remote asked for credentials and none are configured: /,
    );
    const event = b.events.find((e: Json) => e.type === 'artifacts_published');
    assert.equal(event?.status, 'failed');
    assert.match(
      event.message,
      /could not publish to http:\/\/127\.0\.0\.1:\d+\/o\.git after 4 attempt\(s\); the results stay in the store/,
    );
    assert.equal(git(path.join(other.root, 'o.git'), 'for-each-ref'), '');
    // The local store still holds the run's result.
    assert.equal(
      git(path.join(t.stateDir, 'artifacts'), 'rev-parse', `refs/heads/${b.artifacts.branch}`),
      b.artifacts.commit,
    );

    // The token is in no workflow history.
    for (const id of [pushed, refused]) {
      const history = JSON.stringify(await t.stack.client.workflow.getHandle(id).fetchHistory());
      assert.ok(!history.includes(TEAM_TOKEN), `run ${id}'s history holds no credential`);
    }
  },
);

const ONE_TASK = {
  todo_list_id: 'todo_publish',
  request: 'Create simple SMA crossover strategy',
  tasks: [
    {
      id: 'task_coder_001',
      title: 'SMA',
      description: 'codes/sma_strategy.py and its tests',
      agent_role: 'coder',
      dependencies: [],
      acceptance_criteria: { tests: [{ cmd: 'pytest -q tests/test_sma_strategy.py' }] },
    },
  ],
};

test("a push URL holding a password is refused, in the environment and in a run's options, without echoing it", () => {
  assert.throws(
    () => readEnv({ DEVCREW_ARTIFACTS_PUSH_URL: 'https://bot:s3cret-token-x@git.example.com/team/app.git' }),
    (err: Error) => {
      assert.match(
        err.message,
        /DEVCREW_ARTIFACTS_PUSH_URL="https:\/\/bot:\*\*\*@git\.example\.com\/team\/app\.git": holds a password or token/,
      );
      assert.ok(!err.message.includes('s3cret-token-x'));
      return true;
    },
  );
  const env = readEnv({
    DEVCREW_ARTIFACTS_PUSH_URL: 'https://git.example.com/team/app.git',
    DEVCREW_ARTIFACTS_PUSH_TOKEN: 's3cret-token-x',
  });
  assert.deepEqual(publishRemoteFrom(env), {
    url: 'https://git.example.com/team/app.git',
    credentials: { username: 'devcrew', password: 's3cret-token-x' },
  });

  const body = (push: unknown) => StartRunRequest.safeParse({ request: 'x', options: { push } });
  assert.ok(body('https://git.example.com/team/app.git').success);
  assert.ok(body('git@git.example.com:team/app.git').success);
  assert.ok(body(false).success);
  const withPassword = body('https://bot:s3cret@git.example.com/team/app.git');
  assert.ok(!withPassword.success);
  assert.match(JSON.stringify(withPassword.error.issues), /must not hold a password or token/);
  assert.ok(!body('/srv/git/team.git').success, 'a path on the workers is for their own setting only');
});
