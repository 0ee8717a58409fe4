import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openArtifactStore, type GitRemote } from '../../artifacts';
import { startGitServer, type GitServer } from '../../runtime/git-server';
import { devcrew } from '../support/cli';
import { commitInput, git, tempDir } from './helpers';

/**
 * The store on a Git server, as worker hosts use it: each host a cache of its own (a separate repository),
 * the server the only thing they share. Refs are read from the server and moved there by compare-and-swap.
 */
const SERVER_TOKEN = 'store-server-token-61c0';
let dir: string;
let cleanup: () => Promise<void>;
let server: GitServer;
let port: number;
let remote: GitRemote;
let served: string;

before(async () => {
  ({ dir, cleanup } = await tempDir('artifact-server'));
  server = await startGitServer({
    root: `${dir}/server`,
    port: 0,
    token: SERVER_TOKEN,
    repositories: ['artifacts'],
  });
  port = server.port;
  remote = { url: `${server.url}/artifacts.git`, credentials: { username: 'w', password: SERVER_TOKEN } };
  served = path.join(server.root, 'artifacts.git');
});
after(async () => {
  await server?.stop();
  await cleanup();
});

function host(name: string, extra: { serverWaitMs?: number; server?: GitRemote } = {}) {
  return openArtifactStore({ repoDir: `${dir}/${name}`, server: remote, ...extra });
}

/** The commits on a branch of the server, oldest first, as subjects. */
function subjectsOnServer(branch: string): string[] {
  return git(served, 'log', '--reverse', '--first-parent', '--format=%s', `refs/heads/${branch}`)
    .split('\n')
    .filter((l) => !l.startsWith('devcrew: empty start'));
}

test('a diamond across two hosts: each fetches what its step needs, pushes what it commits; a third host reads the whole run', async () => {
  const a = await host('diamond-a');
  const b = await host('diamond-b');
  const wf = 'wf-diamond';
  const arch = await a.commit(
    commitInput(
      { 'contracts/api.json': '{}\n' },
      { workflow_id: wf, task_id: 'arch', agent_role: 'architect' },
    ),
  );
  const archDone = await a.finishTask({ runId: wf, taskId: 'arch', commit: arch.commit });
  // Host B never saw the architect's commit: it has only the reference a workflow carries.
  const left = await b.prepareTask({ runId: wf, taskId: 'left', dependencies: [archDone] });
  assert.deepEqual(left.paths, ['contracts/api.json']);
  const leftCode = await b.commit(
    commitInput(
      { 'codes/left.py': 'L = 1\n' },
      { workflow_id: wf, task_id: 'left' },
      { parent: left.commit },
    ),
  );
  const leftDone = await b.finishTask({ runId: wf, taskId: 'left', commit: leftCode.commit });
  const right = await a.prepareTask({ runId: wf, taskId: 'right', dependencies: [archDone] });
  const rightCode = await a.commit(
    commitInput(
      { 'codes/right.py': 'R = 1\n' },
      { workflow_id: wf, task_id: 'right' },
      { parent: right.commit },
    ),
  );
  const rightDone = await a.finishTask({ runId: wf, taskId: 'right', commit: rightCode.commit });
  // The join runs on B: it merges A's and its own results.
  const join = await b.prepareTask({ runId: wf, taskId: 'join', dependencies: [leftDone, rightDone] });
  assert.deepEqual(join.paths, ['codes/left.py', 'codes/right.py', 'contracts/api.json']);
  const joinDone = await b.finishTask({ runId: wf, taskId: 'join', commit: join.commit });
  const integrated = await a.integrate({ runId: wf, refs: [archDone, leftDone, rightDone, joinDone] });

  // Everything is on the server, with its provenance.
  assert.equal(git(served, 'rev-parse', `refs/heads/${integrated.branch}`), integrated.commit);
  for (const task of ['arch', 'left', 'right', 'join'])
    assert.notEqual(git(served, 'rev-parse', `refs/tags/workflow_${wf}_${task}`), '');
  assert.match(git(served, 'log', '-1', '--format=%B', leftCode.commit), /^Task-Id: left$/m);

  // A host that took no part reads the run, a file and its provenance.
  const c = await host('diamond-c');
  const run = await c.describeRun(wf);
  assert.deepEqual(run.tasks.map((t) => t.task_id).sort(), ['arch', 'join', 'left', 'right']);
  assert.equal(run.integration?.commit, integrated.commit);
  assert.equal(run.tasks.find((t) => t.task_id === 'left')?.commits[0]?.metadata.task_id, 'left');
  assert.equal(await c.readFile(integrated.commit, 'codes/right.py'), 'R = 1\n');
  assert.equal((await c.metadataOf(rightCode.commit)).task_id, 'right');

  // `devcrew artifacts` on yet another host, configured only by the environment, lists and exports it.
  const cli = await devcrew(['artifacts', wf, '--json', '--export', `${dir}/exported`], {
    env: {
      DEVCREW_STATE_DIR: `${dir}/diamond-cli`,
      DEVCREW_ARTIFACTS_SERVER_URL: remote.url,
      DEVCREW_ARTIFACTS_SERVER_TOKEN: SERVER_TOKEN,
    },
  });
  assert.equal(cli.code, 0, cli.stderr);
  const listed = JSON.parse(cli.stdout) as { integration: { commit: string }; tasks: unknown[] };
  assert.equal(listed.integration.commit, integrated.commit);
  assert.equal(listed.tasks.length, 4);
  assert.equal(await fs.readFile(`${dir}/exported/codes/left.py`, 'utf8'), 'L = 1\n');
});

test('a step retried on another host finds its commit on the server and adds none', async () => {
  const a = await host('retry-a');
  const b = await host('retry-b');
  const input = commitInput({ 'codes/x.py': 'X = 1\n' }, { workflow_id: 'wf-retry', task_id: 't' });
  const first = await a.commit(input);
  const again = await b.commit(input);
  assert.equal(again.commit, first.commit);
  assert.deepEqual(subjectsOnServer(first.branch), [input.subject]);
  // With an explicit parent too, and the tag once.
  const parent = git(served, 'rev-parse', `${first.commit}^`);
  assert.equal((await b.commit({ ...input, parent })).commit, first.commit);
  await a.finishTask({ runId: 'wf-retry', taskId: 't', commit: first.commit });
  await b.finishTask({ runId: 'wf-retry', taskId: 't', commit: first.commit });
  assert.equal(git(served, 'rev-parse', 'refs/tags/workflow_wf-retry_t'), first.commit);
  assert.deepEqual(subjectsOnServer(first.branch), [input.subject]);
});

test('a host that died between its commit and its push: the retried step pushes that same commit, once', async () => {
  // The state a kill leaves: the commit written in the host's repository, never pushed.
  const input = commitInput({ 'codes/k.py': 'K = 1\n' }, { workflow_id: 'wf-killed', task_id: 't' });
  const offline = await openArtifactStore({ repoDir: `${dir}/killed-a` });
  const unpushed = await offline.commit(input);
  assert.equal(git(served, 'for-each-ref', 'refs/heads/ai/generated/wf-killed/'), '', 'not on the server');

  // The step runs again, on the same host restarted or on another: the same commit lands, once.
  const again = await (await host('killed-a')).commit(input);
  assert.equal(again.commit, unpushed.commit);
  const elsewhere = await (await host('killed-b')).commit(input);
  assert.equal(elsewhere.commit, unpushed.commit);
  assert.equal(git(served, 'rev-parse', `refs/heads/${again.branch}`), unpushed.commit);
  assert.deepEqual(subjectsOnServer(again.branch), [input.subject]);
});

test('two hosts racing on one branch: compare-and-swap on the server keeps every commit', async () => {
  const a = await host('race-a');
  const b = await host('race-b');
  const writes = Array.from({ length: 12 }, (_, i) => {
    const store = i % 2 === 0 ? a : b;
    return store.commit(
      commitInput(
        { [`codes/f${i}.py`]: `N = ${i}\n` },
        {
          workflow_id: 'wf-race',
          task_id: 't',
          timestamp: `2025-11-04T10:${String(i).padStart(2, '0')}:00Z`,
        },
      ),
    );
  });
  const refs = await Promise.all(writes);
  const onServer = subjectsOnServer('ai/generated/wf-race/t');
  assert.equal(onServer.length, 12, onServer.join('\n'));
  assert.equal(new Set(onServer).size, 12, 'no commit twice');
  const head = git(served, 'rev-parse', 'refs/heads/ai/generated/wf-race/t');
  assert.equal(git(served, 'ls-tree', '-r', '--name-only', head).split('\n').length, 12, 'no file lost');
  for (const r of refs) assert.equal(git(served, 'merge-base', '--is-ancestor', r.commit, head), '');
});

test('the server away for a few seconds: a step waits for it and lands once; away too long: ARTIFACT_STORE_UNAVAILABLE, then the retry lands once', async () => {
  const a = await host('outage-a');
  const first = commitInput({ 'codes/o.py': 'O = 1\n' }, { workflow_id: 'wf-outage', task_id: 't' });
  await server.stop();
  const pending = a.commit(first);
  await new Promise((r) => setTimeout(r, 3_000));
  server = await startGitServer({ root: server.root, port, token: SERVER_TOKEN });
  const landed = await pending;
  assert.equal(git(served, 'rev-parse', `refs/heads/${landed.branch}`), landed.commit);

  // A host that gives up (its step fails and is retried elsewhere) leaves nothing half done.
  const impatient = await host('outage-b', { serverWaitMs: 500 });
  const second = commitInput(
    { 'codes/p.py': 'P = 1\n' },
    { workflow_id: 'wf-outage', task_id: 't', agent_role: 'tester', timestamp: '2025-11-04T10:30:00Z' },
  );
  await server.stop();
  await assert.rejects(impatient.commit(second), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'ARTIFACT_STORE_UNAVAILABLE');
    assert.match(
      err.message,
      /artifact server http:\/\/127\.0\.0\.1:\d+\/artifacts\.git failed, the remote could not be reached/,
    );
    return true;
  });
  server = await startGitServer({ root: server.root, port, token: SERVER_TOKEN });
  const retried = await (await host('outage-c')).commit(second);
  assert.equal(git(served, 'rev-parse', `${retried.commit}^`), landed.commit);
  assert.deepEqual(subjectsOnServer(landed.branch), [first.subject, second.subject]);
});

test('a host with the wrong token is refused clearly and writes nothing', async () => {
  const intruder = await host('intruder', {
    server: { url: remote.url, credentials: { username: 'w', password: 'wrong-token-000' } },
  });
  await assert.rejects(
    intruder.commit(commitInput({ 'x.py': 'x\n' }, { workflow_id: 'wf-intruder', task_id: 't' })),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ARTIFACT_STORE_UNAVAILABLE');
      assert.match(err.message, /failed, the remote refused the credentials: .*Authentication failed/);
      assert.ok(!err.message.includes('wrong-token-000'));
      return true;
    },
  );
  assert.equal(git(served, 'for-each-ref', 'refs/heads/ai/generated/wf-intruder/'), '');
});
