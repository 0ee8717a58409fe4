import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { ArtifactStoreError, openArtifactStore, type GitArtifactStore } from '../../artifacts';
import { commitInput, git, tempDir } from './helpers';

let dir: string;
let remote: string;
let store: GitArtifactStore;
let cleanup: () => Promise<void>;
before(async () => {
  const t = await tempDir('artifacts-merge');
  ({ dir, cleanup } = t);
  remote = `${dir}/remote.git`;
  execFileSync('git', ['init', '-q', '--bare', remote]);
  store = await openArtifactStore({ repoDir: `${dir}/repo` });
});
after(() => cleanup());

const WF = 'wf-merge';

test("a downstream task starts from its dependencies' results merged, so the coder sees the architect's contract", async () => {
  const contract = await store.commit(
    commitInput(
      { 'contracts/sma.json': '{"name":"sma"}\n' },
      { workflow_id: WF, task_id: 'arch', agent_role: 'architect' },
    ),
  );
  const data = await store.commit(
    commitInput({ 'codes/data.py': 'DATA = []\n' }, { workflow_id: WF, task_id: 'data' }),
  );
  const start = await store.prepareTask({ runId: WF, taskId: 'code', dependencies: [contract, data] });
  assert.equal(start.branch, `ai/generated/${WF}/code`);
  assert.deepEqual(start.paths, ['codes/data.py', 'contracts/sma.json']);
  assert.equal(git(store.gitDir, 'rev-parse', `refs/heads/${start.branch}`), start.commit);
  assert.deepEqual(git(store.gitDir, 'log', '-1', '--format=%P', start.commit).split(' '), [
    contract.commit,
    data.commit,
  ]);
  assert.equal(await store.readFile(start.commit, 'contracts/sma.json'), '{"name":"sma"}\n');

  // A retried prepareTask finds the same start; a task with one dependency starts at its commit.
  assert.equal(
    (await store.prepareTask({ runId: WF, taskId: 'code', dependencies: [contract, data] })).commit,
    start.commit,
  );
  const single = await store.prepareTask({ runId: WF, taskId: 'test', dependencies: [contract] });
  assert.equal(single.commit, contract.commit);
  // A task without dependencies starts from the empty root shared by every branch.
  const fresh = await store.prepareTask({ runId: WF, taskId: 'fresh', dependencies: [] });
  assert.deepEqual(fresh.paths, []);
  assert.equal(git(store.gitDir, 'merge-base', fresh.commit, contract.commit), fresh.commit);
});

test('dependencies that wrote the same file differently fail the task with ARTIFACT_CONFLICT naming files and branches', async () => {
  const a = await store.commit(
    commitInput({ 'codes/util.py': 'X = 1\n' }, { workflow_id: WF, task_id: 'left' }),
  );
  const b = await store.commit(
    commitInput({ 'codes/util.py': 'X = 2\n' }, { workflow_id: WF, task_id: 'right' }),
  );
  await assert.rejects(
    store.prepareTask({ runId: WF, taskId: 'joined', dependencies: [a, b] }),
    (err: unknown) => {
      assert.ok(err instanceof ArtifactStoreError);
      assert.equal(err.code, 'ARTIFACT_CONFLICT');
      assert.match(err.message, /merging ai\/generated\/wf-merge\/right into ai\/generated\/wf-merge\/left/);
      assert.match(err.message, /conflicts in codes\/util\.py/);
      assert.deepEqual(err.details.files, ['codes/util.py']);
      return true;
    },
  );
  // The task branch was not created.
  assert.equal(git(store.gitDir, 'for-each-ref', `refs/heads/ai/generated/${WF}/joined`), '');
});

test('finishing a task tags its final commit workflow_{workflow_id}_{task_id}', async () => {
  const done = await store.commit(
    commitInput({ 'codes/fin.py': 'F = 1\n' }, { workflow_id: WF, task_id: 'fin' }),
  );
  const ref = await store.finishTask({ runId: WF, taskId: 'fin', commit: done.commit });
  assert.equal(ref.commit, done.commit);
  assert.equal(git(store.gitDir, 'rev-parse', `refs/tags/workflow_${WF}_fin`), done.commit);
  // Idempotent.
  await store.finishTask({ runId: WF, taskId: 'fin', commit: done.commit });
  assert.equal(git(store.gitDir, 'tag', '--list', `workflow_${WF}_fin`), `workflow_${WF}_fin`);
});

test('integration merges every task result into one branch; publishing pushes the run to the remote', async () => {
  const wf = 'wf-int';
  const arch = await store.commit(
    commitInput(
      { 'contracts/c.json': '{}\n' },
      { workflow_id: wf, task_id: 'arch', agent_role: 'architect' },
    ),
  );
  await store.finishTask({ runId: wf, taskId: 'arch', commit: arch.commit });
  const startCode = await store.prepareTask({ runId: wf, taskId: 'code', dependencies: [arch] });
  const code = await store.commit(
    commitInput(
      { 'codes/c.py': 'C = 1\n' },
      { workflow_id: wf, task_id: 'code' },
      { parent: startCode.commit },
    ),
  );
  await store.finishTask({ runId: wf, taskId: 'code', commit: code.commit });
  const docs = await store.commit(
    commitInput({ 'docs/README.md': '# c\n' }, { workflow_id: wf, task_id: 'docs' }),
  );
  await store.finishTask({ runId: wf, taskId: 'docs', commit: docs.commit });

  const result = await store.integrate({ runId: wf, refs: [arch, code, docs] });
  assert.equal(result.branch, `ai/generated/${wf}/_integration`);
  assert.deepEqual(result.files, ['codes/c.py', 'contracts/c.json', 'docs/README.md']);
  // arch is already inside code's history, so the merge has only the two independent results as parents.
  assert.deepEqual(git(store.gitDir, 'log', '-1', '--format=%P', result.commit).split(' '), [
    code.commit,
    docs.commit,
  ]);
  assert.equal((await store.integrate({ runId: wf, refs: [arch, code, docs] })).commit, result.commit);

  const published = await store.publish(wf, { url: remote });
  assert.equal(published.status, 'pushed', published.error);
  assert.equal(published.attempts, 1);
  assert.ok(published.refs.includes(`refs/heads/${result.branch}`));

  for (const ref of [
    `refs/heads/${result.branch}`,
    `refs/heads/ai/generated/${wf}/code`,
    `refs/tags/workflow_${wf}_code`,
  ]) {
    assert.equal(git(remote, 'rev-parse', ref), git(store.gitDir, 'rev-parse', ref), ref);
  }
  assert.equal(git(remote, 'show', `${result.commit}:codes/c.py`), 'C = 1');
  assert.equal(
    git(remote, 'for-each-ref', 'refs/heads/ai/generated/wf-merge/'),
    '',
    'only the integrated run is pushed',
  );
});

test('integrating results that conflict fails with ARTIFACT_CONFLICT and leaves no integration branch', async () => {
  const wf = 'wf-clash';
  const a = await store.commit(commitInput({ 'x.py': 'a\n' }, { workflow_id: wf, task_id: 'a' }));
  const b = await store.commit(commitInput({ 'x.py': 'b\n' }, { workflow_id: wf, task_id: 'b' }));
  await assert.rejects(store.integrate({ runId: wf, refs: [a, b] }), { code: 'ARTIFACT_CONFLICT' });
  assert.equal(git(store.gitDir, 'for-each-ref', `refs/heads/ai/generated/${wf}/_integration`), '');
});

test('a publish to a remote that does not exist is retried, then reported as ARTIFACT_PUSH_FAILED; the local result is kept', async () => {
  const a = await store.commit(commitInput({ 'y.py': 'y\n' }, { workflow_id: 'wf-nopush', task_id: 'a' }));
  const result = await store.integrate({ runId: 'wf-nopush', refs: [a] });
  const published = await store.publish(
    'wf-nopush',
    { url: `${dir}/missing.git` },
    { attempts: 2, firstDelayMs: 10 },
  );
  assert.equal(published.status, 'failed');
  assert.equal(published.attempts, 2);
  assert.match(
    published.error ?? '',
    /^\[ARTIFACT_PUSH_FAILED\] git push of run wf-nopush to .*missing\.git failed, there is no repository at that URL: /,
  );
  assert.match(published.error ?? '', /does not appear to be a git repository/);
  assert.equal(
    git(store.gitDir, 'rev-parse', 'refs/heads/ai/generated/wf-nopush/_integration'),
    result.commit,
  );
});
