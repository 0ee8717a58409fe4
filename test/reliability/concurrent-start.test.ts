import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { simpleGit } from 'simple-git';
import { REPO_ROOT } from '../support/cli';
import { testServer } from '../support/env';

/**
 * What compose replicas and a restart of a team's workers do: several workers start at the same instant
 * on one new state directory. Each creates the artifact store if it is missing; none may fail because
 * another is creating it. Ten times, four workers each.
 */
let server: Awaited<ReturnType<typeof testServer>>;
before(async () => (server = await testServer()));
after(async () => server?.teardown());

function startWorker(stateDir: string, prefix: string) {
  const child = spawn(
    process.execPath,
    [path.join(REPO_ROOT, 'bin/devcrew.js'), 'worker', '--kind', 'agents'],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        DEVCREW_STATE_DIR: stateDir,
        DEVCREW_MODEL_PROVIDER: 'scripted',
        DEVCREW_METRICS_PORT: 'off',
        TEMPORAL_ADDRESS: server.address,
        DEVCREW_TASK_QUEUE_PREFIX: prefix,
      },
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const up = new Promise<string>((resolve) => {
    const check = () => {
      if (/workers polling /.test(out)) resolve('up');
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => resolve(`exited ${String(code)} before coming up:\n${out.slice(-1500)}`));
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  return { up, stop };
}

test(
  'four workers starting at once on one new state directory all come up, ten times',
  { timeout: 600_000 },
  async () => {
    for (let round = 1; round <= 10; round++) {
      const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), `devcrew-fourworkers-${round}-`));
      const workers = [1, 2, 3, 4].map(() => startWorker(stateDir, `four-${round}-`));
      try {
        const outcomes = await Promise.all(
          workers.map((w) =>
            Promise.race([
              w.up,
              new Promise<string>((r) => setTimeout(() => r('not up within 90 s'), 90_000)),
            ]),
          ),
        );
        assert.deepEqual(outcomes, ['up', 'up', 'up', 'up'], `round ${round}`);
        const git = simpleGit(path.join(stateDir, 'artifacts'));
        assert.equal(
          await git.revparse(['--is-bare-repository']).catch(() => 'not a repository'),
          'true',
          'one artifact repository, created once',
        );
      } finally {
        await Promise.all(workers.map((w) => w.stop()));
        await fs.rm(stateDir, { recursive: true, force: true });
      }
    }
  },
);
