import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openArtifactStore, type GitArtifactStore } from '../../artifacts';
import { commitInput, git, provenance, tempDir } from './helpers';

let store: GitArtifactStore;
let cleanup: () => Promise<void>;
before(async () => {
  const t = await tempDir('artifacts-commit');
  cleanup = t.cleanup;
  store = await openArtifactStore({ repoDir: `${t.dir}/repo` });
});
after(() => cleanup());

test('a commit carries its provenance as a JSON block and trailers, and metadataOf reads it back', async () => {
  const input = commitInput(
    {
      'codes/sma.py': 'def sma(xs, n):\n    return sum(xs[-n:]) / n\n',
      'tests/test_sma.py': 'def test_x():\n    pass\n',
    },
    { task_id: 'task_roundtrip', correlation_id: 'corr-rt' },
  );
  const ref = await store.commit(input);
  assert.equal(ref.branch, 'ai/generated/wf-sma-1/task_roundtrip');
  assert.deepEqual(ref.paths, ['codes/sma.py', 'tests/test_sma.py']);
  assert.equal(git(store.gitDir, 'rev-parse', `refs/heads/${ref.branch}`), ref.commit);

  const metadata = await store.metadataOf(ref.commit);
  assert.deepEqual(metadata, { ...input.metadata, artifacts: ['codes/sma.py', 'tests/test_sma.py'] });

  const message = git(store.gitDir, 'log', '-1', '--format=%B', ref.commit);
  const parsed = git(store.gitDir, 'log', '-1', '--format=%(trailers:only,unfold)', ref.commit);
  assert.match(parsed, /^Workflow-Id: wf-sma-1$/m);
  assert.match(parsed, /^Task-Id: task_roundtrip$/m);
  assert.match(parsed, /^Correlation-Id: corr-rt$/m);
  assert.match(parsed, /^Prompt-Hash: sha256:(ab){32}$/m);
  assert.match(parsed, /^Artifact: tests\/test_sma\.py$/m);
  assert.match(message, /^coder: codes\/sma\.py, tests\/test_sma\.py\n\n```json\n\{/);
  // The commit is dated by the provenance timestamp (what makes a retry produce the same SHA).
  assert.equal(
    git(store.gitDir, 'log', '-1', '--format=%aI %cI', ref.commit),
    '2025-11-04T10:00:00+00:00 2025-11-04T10:00:00+00:00',
  );

  assert.equal(await store.readFile(ref.commit, 'codes/sma.py'), input.files[0]!.content);
  assert.deepEqual(await store.listFiles(ref.commit), ['codes/sma.py', 'tests/test_sma.py']);
});

test('a retried commit with the same input returns the same commit and adds none', async () => {
  const first = await store.commit(commitInput({ 'codes/a.py': 'A = 1\n' }, { task_id: 'task_retry' }));
  const again = await store.commit(commitInput({ 'codes/a.py': 'A = 1\n' }, { task_id: 'task_retry' }));
  assert.equal(again.commit, first.commit);
  const withParent = await store.commit(
    commitInput(
      { 'codes/a.py': 'A = 1\n' },
      { task_id: 'task_retry' },
      { parent: git(store.gitDir, 'rev-parse', `${first.commit}^`) },
    ),
  );
  assert.equal(withParent.commit, first.commit);
  // The branch holds the empty root and exactly one commit.
  assert.equal(git(store.gitDir, 'rev-list', '--count', `refs/heads/${first.branch}`), '2');

  // The next step builds on it; retrying the earlier step afterwards changes nothing.
  const next = await store.commit(
    commitInput(
      { 'tests/test_a.py': 'def test_a(): pass\n' },
      { task_id: 'task_retry', agent_role: 'tester', timestamp: '2025-11-04T10:05:00Z' },
    ),
  );
  const late = await store.commit(
    commitInput(
      { 'codes/a.py': 'A = 1\n' },
      { task_id: 'task_retry' },
      { parent: git(store.gitDir, 'rev-parse', `${first.commit}^`) },
    ),
  );
  assert.equal(late.commit, first.commit);
  assert.equal(git(store.gitDir, 'rev-parse', `refs/heads/${first.branch}`), next.commit);
  assert.deepEqual(await store.listFiles(next.commit), ['codes/a.py', 'tests/test_a.py']);
});

test('a retry that produced a different output replaces the crashed attempt on the branch', async () => {
  const base = await store.commit(commitInput({ 'README.md': 'base\n' }, { task_id: 'task_redo' }));
  const attempt1 = await store.commit(
    commitInput(
      { 'codes/x.py': 'X = 1\n' },
      { task_id: 'task_redo', timestamp: '2025-11-04T11:00:00Z' },
      { parent: base.commit },
    ),
  );
  const attempt2 = await store.commit(
    commitInput(
      { 'codes/x.py': 'X = 2\n' },
      { task_id: 'task_redo', timestamp: '2025-11-04T11:00:00Z' },
      { parent: base.commit },
    ),
  );
  assert.notEqual(attempt2.commit, attempt1.commit);
  assert.equal(git(store.gitDir, 'rev-parse', `refs/heads/${base.branch}`), attempt2.commit);
  assert.equal(await store.readFile(attempt2.commit, 'codes/x.py'), 'X = 2\n');
});

test('a commit can remove files, and the provenance lists only what it wrote', async () => {
  const first = await store.commit(commitInput({ 'a.txt': 'a\n', 'b/c.txt': 'c\n' }, { task_id: 'task_rm' }));
  const second = await store.commit(
    commitInput(
      { 'b.txt': 'now a file\n' },
      { task_id: 'task_rm', timestamp: '2025-11-04T10:01:00Z' },
      { remove: ['b/c.txt'] },
    ),
  );
  assert.deepEqual(await store.listFiles(second.commit), ['a.txt', 'b.txt']);
  assert.deepEqual((await store.metadataOf(second.commit)).artifacts, ['b.txt']);
  assert.deepEqual(await store.listFiles(first.commit), ['a.txt', 'b/c.txt']);
});

test('50 tasks committing at once each get their own commit, with no lock errors and a sound repository', async () => {
  const started = Date.now();
  const refs = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      store.commit(
        commitInput(
          {
            [`codes/task_${i}.py`]: `VALUE = ${i}\n`,
            [`tests/test_${i}.py`]: `def test_${i}(): assert True\n`,
          },
          { task_id: `task_par_${i}`, correlation_id: `corr-${i}` },
        ),
      ),
    ),
  );
  const elapsed = Date.now() - started;
  assert.equal(new Set(refs.map((r) => r.commit)).size, 50);
  for (const [i, ref] of refs.entries()) {
    assert.equal(
      git(store.gitDir, 'rev-parse', `refs/heads/ai/generated/wf-sma-1/task_par_${i}`),
      ref.commit,
    );
    assert.equal((await store.metadataOf(ref.commit)).correlation_id, `corr-${i}`);
  }
  assert.equal(await store.readFile(refs[49]!.commit, 'codes/task_49.py'), 'VALUE = 49\n');
  git(store.gitDir, 'fsck', '--strict', '--no-dangling'); // throws on a corrupt object or ref
  // No temporary index or blob file is left behind.
  assert.deepEqual(await fs.readdir(path.join(store.gitDir, 'devcrew-tmp')), []);
  process.stderr.write(`50 concurrent commits: ${elapsed} ms\n`);
});

test('steps committing to one task branch at once line up one after another, none lost', async () => {
  await Promise.all(
    Array.from({ length: 5 }, (_, i) =>
      store.commit({
        subject: `coder: step ${i}`,
        metadata: provenance({ task_id: 'task_same', timestamp: `2025-11-04T10:0${i}:00Z` }),
        files: [{ path: `step_${i}.txt`, content: `${i}\n` }],
      }),
    ),
  );
  const branch = 'refs/heads/ai/generated/wf-sma-1/task_same';
  assert.equal(git(store.gitDir, 'rev-list', '--count', branch), '6'); // the empty root and five steps
  assert.deepEqual(
    await store.listFiles(git(store.gitDir, 'rev-parse', branch)),
    [0, 1, 2, 3, 4].map((i) => `step_${i}.txt`),
  );
});
