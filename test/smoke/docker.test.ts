import assert from 'node:assert/strict';
import { test } from 'node:test';
import Docker from 'dockerode';
import { baseImageTag } from '../../runtime/provision';

/** Runs one command in a fresh container with the network off and returns what it printed. */
async function runOffline(cmd: string[]): Promise<{ exitCode: number; output: string }> {
  const docker = new Docker();
  const container = await docker.createContainer({
    Image: baseImageTag(),
    Cmd: cmd,
    Labels: { 'devcrew.test': 'smoke' },
    HostConfig: { NetworkMode: 'none', AutoRemove: false, CapDrop: ['ALL'] },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = await container.logs({ stdout: true, stderr: true });
    // Multiplexed frames: 8-byte headers before each chunk.
    let output = '';
    for (let i = 0; i + 8 <= logs.length;) {
      const size = logs.readUInt32BE(i + 4);
      output += logs.subarray(i + 8, i + 8 + size).toString();
      i += 8 + size;
    }
    return { exitCode: StatusCode, output };
  } finally {
    await container.remove({ force: true });
  }
}

test('the sandbox base image runs pytest, flake8, mypy and bandit in a container with the network off', async () => {
  const { exitCode, output } = await runOffline([
    'sh',
    '-c',
    'python3 -m pytest --version && flake8 --version && mypy --version && bandit --version && ip link 2>/dev/null; cat /proc/net/dev',
  ]);
  assert.equal(exitCode, 0, output);
  assert.match(output, /pytest \d/);
  assert.match(output, /mypy \d/);
  const interfaces = [...output.matchAll(/^\s*(\w+):/gm)].map((m) => m[1]);
  assert.deepEqual(interfaces, ['lo'], 'only the loopback interface exists');
});

test('code in the sandbox cannot open a connection to the outside', async () => {
  const { exitCode, output } = await runOffline([
    'python3',
    '-c',
    'import socket\ntry:\n    socket.create_connection(("192.0.2.1", 80), timeout=3)\n    print("CONNECTED")\nexcept OSError as e:\n    print("refused:", e)\n',
  ]);
  assert.equal(exitCode, 0, output);
  assert.match(output, /^refused: .*(unreachable|Network)/m);
  assert.doesNotMatch(output, /CONNECTED/);
});
