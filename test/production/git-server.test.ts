import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { portIsFree } from '../../runtime/temporal-server';
import { git } from '../artifacts/helpers';
import { devcrew } from '../support/cli';
import { freePort } from '../support/ports';

/**
 * `devcrew up --temporal postgres` is the production shape on one host: beside the Temporal server on
 * PostgreSQL it starts the artifact store's Git server, its own workers keep their artifacts there, and it
 * says how workers on other hosts reach it.
 */
let stateDir: string;
before(async () => {
  stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-up-git-'));
});
after(() => fs.rm(stateDir, { recursive: true, force: true }));

async function freeBlock(): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    let ok = true;
    for (let p = base; p < base + 10 && ok; p++) ok = await portIsFree(p);
    if (ok) return base;
  }
}

test(
  'devcrew up --temporal postgres starts the Git server, and a run’s branches and tags land on it',
  { timeout: 400_000 },
  async () => {
    const gitPort = await freePort();
    const up = await devcrew(
      [
        'up',
        'Create simple SMA crossover strategy',
        '--temporal',
        'postgres',
        '--headless',
        '--approve-plan',
        '--exit',
        '--no-export',
      ],
      {
        env: {
          DEVCREW_STATE_DIR: stateDir,
          TEMPORAL_ADDRESS: '',
          DEVCREW_TEMPORAL_PORT: String(await freePort()),
          DEVCREW_POSTGRES_PORT: String(await freePort()),
          DEVCREW_TEMPORAL_INTERNAL_PORT_BASE: String(await freeBlock()),
          DEVCREW_API_PORT: String(await freePort()),
          DEVCREW_GIT_SERVER_PORT: String(gitPort),
          DEVCREW_METRICS_PORT: 'off',
          DEVCREW_MODEL_PROVIDER: 'scripted',
          DEVCREW_TASK_QUEUE_PREFIX: 'upgit-',
          GEMINI_API_KEY: '',
          OPENAI_API_KEY: '',
        },
      },
    );
    assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
    assert.match(
      up.stderr,
      new RegExp(
        `workers on other hosts: DEVCREW_ARTIFACTS_SERVER_URL=http://127\\.0\\.0\\.1:${gitPort}/artifacts\\.git`,
      ),
    );
    const runId = /run (devcrew-\S+) completed/.exec(up.stdout)?.[1];
    assert.ok(runId, up.stdout);
    const served = path.join(stateDir, 'git-server', 'artifacts.git');
    const branch = `refs/heads/ai/generated/${runId}/_integration`;
    const commit = git(served, 'rev-parse', branch);
    assert.match(up.stdout, new RegExp(`_integration @ ${commit.slice(0, 12)}`));
    assert.equal(git(served, 'show', `${commit}:codes/sma_strategy.py`).length > 0, true);
    assert.notEqual(git(served, 'rev-parse', `refs/tags/workflow_${runId}_task_coder_001`), '');
    assert.ok(await portIsFree(gitPort), 'the Git server stopped with the stack');
  },
);
