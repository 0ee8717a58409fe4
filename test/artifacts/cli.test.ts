import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openArtifactStore } from '../../artifacts';
import { artifactsCommand } from '../../cli/commands/artifacts';
import { CliError } from '../../cli/exit-codes';
import { devcrew } from '../support/cli';
import { commitInput, tempDir } from './helpers';

let dir: string;
let repo: string;
let cleanup: () => Promise<void>;
let integrated: string;
const WF = 'wf-cli';

before(async () => {
  ({ dir, cleanup } = await tempDir('artifacts-cli'));
  repo = path.join(dir, 'repo');
  const store = await openArtifactStore({ repoDir: repo });
  const arch = await store.commit(
    commitInput(
      { 'contracts/sma.json': '{}\n' },
      { workflow_id: WF, task_id: 'arch', agent_role: 'architect' },
    ),
  );
  await store.finishTask({ runId: WF, taskId: 'arch', commit: arch.commit });
  const start = await store.prepareTask({ runId: WF, taskId: 'code', dependencies: [arch] });
  const code = await store.commit(
    commitInput(
      { 'codes/sma.py': 'def sma(): ...\n', 'tests/test_sma.py': 'def test(): ...\n' },
      { workflow_id: WF, task_id: 'code' },
      { parent: start.commit },
    ),
  );
  integrated = (await store.integrate({ runId: WF, refs: [arch, code] })).commit;
});
after(() => cleanup());

test("the artifacts command lists a run's integration branch, task branches, commits with provenance, and files", async () => {
  const out = await artifactsCommand(WF, { repo });
  assert.ok(out.startsWith(`run ${WF} in ${repo}\n`), out);
  assert.match(out, /^integration ai\/generated\/wf-cli\/_integration [0-9a-f]{10} \(3 files\)$/m);
  assert.match(
    out,
    /^task arch {2}ai\/generated\/wf-cli\/arch {2}head [0-9a-f]{10} {2}tag workflow_wf-cli_arch$/m,
  );
  assert.match(out, /^task code {2}ai\/generated\/wf-cli\/code {2}head [0-9a-f]{10} {2}not finished$/m);
  assert.match(
    out,
    /^ {2}[0-9a-f]{10} 2025-11-04T10:00:00Z coder 1\.0\.0 gemini-2\.0-flash {2}coder: codes\/sma\.py, tests\/test_sma\.py$/m,
  );
  assert.match(out, /^ {2}files: codes\/sma\.py, contracts\/sma\.json, tests\/test_sma\.py$/m);
});

test('--json gives the same listing for programs', async () => {
  const json = JSON.parse(await artifactsCommand(WF, { repo, json: true })) as {
    integration: { commit: string; files: string[] };
    tasks: Array<{ task_id: string; commits: Array<{ metadata: { agent_role: string } }> }>;
  };
  assert.equal(json.integration.commit, integrated);
  assert.deepEqual(
    json.tasks.map((t) => t.task_id),
    ['arch', 'code'],
  );
  // The code task's own commits only: the architect's commit it grew from belongs to "arch".
  assert.deepEqual(
    json.tasks[1]!.commits.map((c) => c.metadata.agent_role),
    ['coder'],
  );
});

test('--export writes the integration branch into a new folder and refuses a folder that is not empty', async () => {
  const target = path.join(dir, 'out');
  const out = await artifactsCommand(WF, { repo, export: target });
  assert.match(out, /exported 3 files to /);
  assert.equal(await fs.readFile(path.join(target, 'codes/sma.py'), 'utf8'), 'def sma(): ...\n');
  assert.equal(await fs.readFile(path.join(target, 'contracts/sma.json'), 'utf8'), '{}\n');
  await assert.rejects(artifactsCommand(WF, { repo, export: target }), (err: unknown) => {
    assert.ok(err instanceof CliError);
    assert.match(err.message, /is not empty/);
    return true;
  });
});

test('an unknown run or a missing repository is a usage error naming what was looked for, and creates nothing', async () => {
  await assert.rejects(artifactsCommand('wf-nope', { repo }), (err: unknown) => {
    assert.ok(err instanceof CliError);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /no branches ai\/generated\/wf-nope\/\*/);
    return true;
  });
  const missing = path.join(dir, 'no-repo');
  await assert.rejects(artifactsCommand(WF, { repo: missing }), {
    exitCode: 2,
    message: /no artifact repository at/,
  });
  await assert.rejects(fs.stat(missing), { code: 'ENOENT' });
});

const wired = readFileSync(path.join(__dirname, '../../cli/main.ts'), 'utf8').includes('registerArtifacts');
test(
  '`devcrew artifacts <run> --json` runs as a user types it',
  { skip: !wired && 'not yet wired in cli/main.ts' },
  async () => {
    const run = await devcrew(['artifacts', WF, '--json', '--repo', repo]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      (JSON.parse(run.stdout) as { integration: { commit: string } }).integration.commit,
      integrated,
    );
    const unknown = await devcrew(['artifacts', 'wf-nope', '--repo', repo]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /ARTIFACT_NOT_FOUND/);
  },
);
