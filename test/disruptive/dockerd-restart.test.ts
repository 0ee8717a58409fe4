import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { silentReport } from '../../core/report';
import { ensureDockerEngine } from '../../runtime/provision/docker-engine';
import { dockerAnswers, dockerClient } from '../../sandbox/docker-client';
import { Deployment } from '../reliability/support';
import { temporalForThisFile } from '../support/temporal-for-file';

/**
 * The Docker engine restarted in the middle of a sandbox job (every container dies with it): the step
 * is the sandbox failing, not the code, so it runs again once the engine is back and the run completes.
 * Disruptive for anything else using Docker, so `npm test` runs test/disruptive/ alone, after the rest.
 */
const run = promisify(execFile);
const temporal = temporalForThisFile();

test(
  'dockerd restarted mid-job: the sandbox step runs again when the engine is back, and the run completes',
  { timeout: 300_000 },
  async (t) => {
    const local = await run('pgrep', ['-x', 'dockerd']).then(
      () => true,
      () => false,
    );
    if (process.env.DOCKER_HOST || !local || process.getuid?.() !== 0) {
      t.skip('needs a local dockerd this test may restart (root, no DOCKER_HOST)');
      return;
    }
    const d = await Deployment.start({
      address: temporal.address,
      prefix: 'dockerd-restart-',
      stepDelays: 'checkBuild=1500',
    });
    try {
      await d.startWorker();
      const { run_id } = await d.runs.start({
        request: 'Create simple SMA crossover strategy',
        options: { mode: 'crew', gates: { plan: false } },
      });
      await d.activityStarted(run_id, 'checkBuild');
      await run('pkill', ['-TERM', '-x', 'dockerd']);
      const docker = dockerClient();
      for (let i = 0; i < 100 && (await dockerAnswers(docker, 500)); i++)
        await new Promise((r) => setTimeout(r, 200));
      await new Promise((r) => setTimeout(r, 2_000));
      await ensureDockerEngine(d.stateDir, silentReport); // starts dockerd again, as devcrew setup would
      const done = await d.finished(run_id);
      assert.equal(done.status, 'completed', JSON.stringify(done).slice(0, 2000));
      const coder = 'tasks' in done ? done.tasks.find((x) => x.id === 'task_coder_001') : undefined;
      assert.equal(coder?.rounds, 0, 'no Debugger round: the engine failing is not the code failing');
      assert.deepEqual(await d.duplicateCommits(run_id), []);
    } finally {
      await d.stop();
      await ensureDockerEngine(d.stateDir, silentReport).catch(() => undefined);
    }
  },
);
