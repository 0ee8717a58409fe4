import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { devcrew } from '../support/cli';
import { temporalForThisFile } from '../support/temporal-for-file';
import { freePort } from '../support/ports';
import { Deployment, WorkerProcess } from './support';

/**
 * A worker host started before its Temporal server answers (or restarted while the server is slow to
 * accept) waits for it, says so, and polls once it answers; it gives up only after --connect-wait.
 */
const temporal = temporalForThisFile();

/** From `port` on, forwards every connection to the real server: the server "comes up" there. */
function forwardFrom(port: number, to: string): Promise<net.Server> {
  const [host, target] = to.split(':');
  const proxy = net.createServer((socket) => {
    const upstream = net.connect(Number(target), host);
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  return new Promise((resolve) => proxy.listen(port, '127.0.0.1', () => resolve(proxy)));
}

test(
  'a worker started before its Temporal server waits for it, says so, and polls once it answers',
  { timeout: 180_000 },
  async () => {
    const d = await Deployment.start({ address: temporal.address, prefix: 'worker-connect-' });
    const port = await freePort();
    const worker = new WorkerProcess({ ...d.env(), TEMPORAL_ADDRESS: `127.0.0.1:${port}` }, 'runs');
    let proxy: net.Server | undefined;
    try {
      for (let i = 0; !/waiting for the Temporal server at 127\.0\.0\.1:\d+/.test(worker.stderr); i++) {
        assert.equal(worker.child.exitCode, null, `the worker exited while waiting:\n${worker.stderr}`);
        assert.ok(i < 600, `no waiting line in 60 s:\n${worker.stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 3_000));
      assert.equal(worker.child.exitCode, null, 'still waiting, not exited');
      proxy = await forwardFrom(port, temporal.address);
      await worker.ready(60);
      assert.match(worker.stdout, new RegExp(`workers polling .* at 127\\.0\\.0\\.1:${port}`));
    } finally {
      await worker.kill('SIGINT');
      proxy?.close();
      await d.stop();
    }
  },
);

test('a worker gives up after --connect-wait with an error that names the address and the way on', async () => {
  const port = await freePort();
  const t0 = Date.now();
  const r = await devcrew(['worker', '--kind', 'runs', '--connect-wait', '2'], {
    env: { TEMPORAL_ADDRESS: `127.0.0.1:${port}`, DEVCREW_METRICS_PORT: 'off', DEVCREW_LOG_LEVEL: 'ERROR' },
  });
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(`no Temporal server answers at 127\\.0\\.0\\.1:${port} \\(tried for \\d+ s`),
  );
  assert.match(r.stderr, /--connect-wait/);
  assert.ok(Date.now() - t0 < 60_000, 'it gave up, not hung');

  const bad = await devcrew(['worker', '--kind', 'runs', '--connect-wait', 'soon']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--connect-wait must be a number of seconds \(0 or more\), got "soon"/);
});
