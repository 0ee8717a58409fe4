import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { devcrew, REPO_ROOT } from '../support/cli';
import { TEST_ENV } from '../support/env';
import { freePort } from '../support/ports';

let stateDir: string;
before(async () => (stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-server-'))));
after(async () => fs.rm(stateDir, { recursive: true, force: true }));

interface Running {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
}

/** `devcrew server` as a user starts it, resolved once it prints that it is ready. */
async function startServer(env: NodeJS.ProcessEnv): Promise<Running> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/devcrew.js'), 'server'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...env,
      PATH: `${path.dirname(process.env[TEST_ENV.temporalCli] || '/nonexistent')}:${process.env.PATH}`,
    },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server not ready in 90 s:\n${out}`)), 90_000);
    child.stdout.on('data', () => {
      if (out.includes('Ctrl-C stops it')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited ${code}:\n${out}`));
    });
  });
  return { child, output: () => out };
}

async function stopServer(server: Running): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => server.child.on('exit', (code) => resolve(code)));
  server.child.kill('SIGINT');
  return exited;
}

test(
  'devcrew server keeps runs in SQLite under the state dir across a restart',
  { timeout: 240_000 },
  async () => {
    const port = await freePort();
    const uiPort = await freePort();
    const env = {
      DEVCREW_STATE_DIR: stateDir,
      DEVCREW_TEMPORAL_PORT: String(port),
      DEVCREW_UI_PORT: String(uiPort),
    };

    const first = await startServer(env);
    assert.match(first.output(), new RegExp(`ready at 127\\.0\\.0\\.1:${port}`));
    assert.match(first.output(), new RegExp(`Web UI: http://127\\.0\\.0\\.1:${uiPort}`));
    const ui = await fetch(`http://127.0.0.1:${uiPort}/`);
    assert.equal(ui.status, 200, 'the Web UI answers');

    const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    const client = new Client({ connection });
    const workflowId = `survives-restart-${port}`;
    // No worker polls this queue: the run simply stays open, as a long run would.
    await client.workflow.start('neverPolled', { taskQueue: 'nobody-polls', workflowId, args: [] });
    await connection.close();
    assert.equal(await stopServer(first), 0);
    assert.match(first.output(), /stopped\./);
    const db = await fs.stat(path.join(stateDir, 'temporal.sqlite'));
    assert.ok(db.size > 0);

    const second = await startServer(env);
    try {
      const again = await Connection.connect({ address: `127.0.0.1:${port}` });
      const described = await new Client({ connection: again }).workflow.getHandle(workflowId).describe();
      assert.equal(described.status.name, 'RUNNING');
      const attributes = await again.operatorService.listSearchAttributes({ namespace: 'default' });
      assert.ok(Object.keys(attributes.customAttributes ?? {}).includes('DevcrewTodoListId'));
      await again.close();
    } finally {
      await stopServer(second);
    }
  },
);

test('devcrew server names the taken port and what to do about it', async () => {
  const blocker = net.createServer();
  const port = await freePort();
  await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
  try {
    const run = await devcrew(['server', '--headless'], {
      env: { DEVCREW_STATE_DIR: stateDir, DEVCREW_TEMPORAL_PORT: String(port) },
    });
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`port ${port} is taken`));
    assert.match(run.stderr, /DEVCREW_TEMPORAL_PORT|TEMPORAL_ADDRESS/);
  } finally {
    blocker.close();
  }
});

test('with TEMPORAL_ADDRESS set, devcrew server starts nothing and says why', async () => {
  const run = await devcrew(['server'], { env: { TEMPORAL_ADDRESS: 'localhost:7299' } });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /TEMPORAL_ADDRESS=localhost:7299 is set/);
});

test('a malformed setting stops a command with the variable and what it expects', async () => {
  const run = await devcrew(['server'], { env: { DEVCREW_TEMPORAL_PORT: 'seventy' } });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /DEVCREW_TEMPORAL_PORT="seventy"/);
  const address = await devcrew(['server'], { env: { TEMPORAL_ADDRESS: 'http://x' } });
  assert.match(address.stderr, /TEMPORAL_ADDRESS="http:\/\/x": expected host:port/);
});
