import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { readEnv, pathsFrom } from '../../core/config';
import { silentReport } from '../../core/report';
import { ensureTemporalCli } from '../../runtime/provision/temporal-cli';
import { startEmbeddedServer, type EmbeddedServer } from '../../runtime/temporal-server';
import { TEST_ENV } from '../support/env';
import { freePort } from '../support/ports';
import { Deployment } from './support';

/**
 * The Temporal server SIGKILLed mid-run and started again on the same SQLite file, and a sandbox
 * container killed under a running job: the run completes with the same code, nothing done twice.
 */
const REQUEST = 'Create simple SMA crossover strategy';
const options = { mode: 'crew' as const, gates: { plan: false } };
const run = promisify(execFile);
let serverDir: string;
let cli: string;

before(async () => {
  serverDir = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-server-crash-'));
  cli =
    process.env[TEST_ENV.temporalCli] ||
    (await ensureTemporalCli(pathsFrom(readEnv()).cacheDir, silentReport));
});
after(async () => fs.rm(serverDir, { recursive: true, force: true }));

test(
  'the Temporal server SIGKILLed mid-run and restarted on its SQLite file: the run completes, nothing done twice',
  { timeout: 300_000 },
  async () => {
    const port = await freePort();
    const start = () =>
      startEmbeddedServer({
        cli,
        stateDir: serverDir,
        port,
        uiPort: 0,
        namespace: 'default',
        headless: true,
      });
    let server: EmbeddedServer = await start();
    const d = await Deployment.start({
      address: server.address,
      prefix: 'server-crash-',
      stepDelays: 'checkBuild=2000',
    });
    try {
      await d.startWorker();
      const { run_id } = await d.runs.start({ request: REQUEST, options });
      await d.activityStarted(run_id, 'checkBuild');
      await server.crash();
      await new Promise((r) => setTimeout(r, 3_000)); // down for a while: the worker's polls fail meanwhile
      server = await start();
      await d.connect();
      const done = await d.finished(run_id);
      assert.equal(done.status, 'completed', JSON.stringify(done).slice(0, 2000));
      assert.ok((await d.finalTree(run_id)).some((l) => l.startsWith('codes/sma_strategy.py ')));
      assert.deepEqual(await d.duplicateCommits(run_id), []);
      assert.equal(d.fake.repeated, 0);
      assert.equal(d.workers[0]!.child.exitCode, null, 'the same worker carried on');
    } finally {
      await d.stop();
      await server.stop();
    }
  },
);

test(
  'a sandbox container killed under a running job: the step runs again in a new container and the run completes',
  { timeout: 300_000 },
  async () => {
    const address = process.env[TEST_ENV.temporalAddress];
    let own: EmbeddedServer | undefined;
    if (!address)
      own = await startEmbeddedServer({
        cli,
        stateDir: serverDir,
        port: await freePort(),
        uiPort: 0,
        namespace: 'default',
        headless: true,
      });
    const d = await Deployment.start({ address: address ?? own!.address, prefix: 'container-kill-' });
    try {
      await d.startWorker();
      const { run_id } = await d.runs.start({ request: REQUEST, options });
      await d.activityStarted(run_id, 'checkBuild');
      let killed = '';
      for (let i = 0; i < 100 && !killed; i++) {
        const { stdout } = await run('docker', ['ps', '-q', '--filter', `name=devcrew-${run_id}-`]);
        killed = stdout.trim().split('\n')[0] ?? '';
        if (!killed) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(killed, 'the job had a container');
      await run('docker', ['kill', killed]);
      const done = await d.finished(run_id);
      assert.equal(done.status, 'completed', JSON.stringify(done).slice(0, 2000));
      const coder = 'tasks' in done ? done.tasks.find((t) => t.id === 'task_coder_001') : undefined;
      assert.equal(
        coder?.rounds,
        0,
        'no Debugger round: a dead container is the sandbox failing, not the code',
      );
      assert.deepEqual(await d.duplicateCommits(run_id), []);
      const { stdout } = await run('docker', ['ps', '-aq', '--filter', `name=devcrew-${run_id}-`]);
      assert.equal(stdout.trim(), '', 'no container of the run is left');
    } finally {
      await d.stop();
      await own?.stop();
    }
  },
);
