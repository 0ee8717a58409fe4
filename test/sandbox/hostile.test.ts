import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import Docker from 'dockerode';
import { baseImageTag } from '../../runtime/provision';
import os from 'node:os';
import {
  createDockerSandbox,
  ensureSandboxImage,
  sandboxImageTag,
  janitor,
  OWNER_LABEL,
  SANDBOX_LABEL,
  SandboxError,
  type DockerSandbox,
  type SandboxJob,
} from '../../sandbox';

/**
 * Programs that attack the sandbox, each with the outcome it must get. The code devcrew runs was
 * written by a model and is treated as hostile; small limits keep the suite fast.
 */
const docker = new Docker();
let box: DockerSandbox;
const HOST_SECRET = 'host-secret-value-91a7c3';
before(() => {
  process.env.DEVCREW_TEST_HOST_SECRET = HOST_SECRET;
  box = createDockerSandbox({ docker, image: baseImageTag(), maxConcurrency: 2 });
});
after(() => box?.close());
afterEach(async () => {
  await docker.ping();
  await box.settled(); // used containers are removed in the background
  // Only this process's containers: other test files may be running sandbox jobs at the same time.
  const mine = `${OWNER_LABEL}=${os.hostname()}:${process.pid}`;
  const left = await docker.listContainers({ all: true, filters: { label: [SANDBOX_LABEL, mine] } });
  assert.equal(left.length, 0, 'no sandbox container is left behind');
});

const SMALL = {
  memoryBytes: 256 * 1024 ** 2,
  pids: 64,
  timeoutSeconds: 5,
  outputBytes: 256 * 1024,
  workDirBytes: 32 * 1024 ** 2,
};
async function one(cmd: string | string[], extra: Partial<SandboxJob> = {}) {
  const result = await box.run({ files: [], commands: [{ cmd }], limits: SMALL, ...extra });
  return result.commands[0]!;
}
const py = (code: string) => ['python3', '-c', code];

test('a fork bomb is stopped by the pids limit and the timeout', async () => {
  const r = await one('bomb() { bomb | bomb & }; bomb; sleep 30');
  assert.ok(['timeout', 'failed', 'oom'].includes(r.status), r.status);
});

test('a thread bomb cannot start more threads than the pids limit', async () => {
  const r = await one(
    py(
      'import threading,time\nn=0\ntry:\n    while True:\n        threading.Thread(target=time.sleep, args=(60,), daemon=True).start(); n+=1\nexcept RuntimeError:\n    print("refused after", n); raise SystemExit(3)',
    ),
  );
  assert.equal(r.status, 'failed');
  assert.match(r.stdout, /refused after \d+/);
  assert.ok(Number(/refused after (\d+)/.exec(r.stdout)![1]) < 64);
});

test('a memory bomb is OOM-killed at the memory limit', async () => {
  const r = await one(
    py('x = []\nwhile True:\n    x.append(b"x" * (16 * 1024 * 1024))\n    print("allocated", len(x))'),
  );
  assert.equal(r.status, 'oom');
  assert.ok(Number(/allocated (\d+)\s*$/.exec(r.stdout)?.[1] ?? 0) * 16 < 256, 'it never got past the limit');
});

test('filling the work dir stops at its size limit', async () => {
  const r = await one('dd if=/dev/zero of=big bs=1M count=100 2>&1; echo exit=$?');
  assert.match(r.stdout, /No space left|File too large|File size limit exceeded/);
});

test('100 MB of output is cut at the output cap and flagged as truncated', async () => {
  const r = await one('yes devcrew | head -c 100000000');
  assert.ok(['output_limit', 'ok'].includes(r.status));
  assert.equal(r.stdoutTruncated, true);
  assert.ok(r.stdout.length <= SMALL.outputBytes);
});

test('sleeping past the timeout and a busy loop are both killed as timeouts', async () => {
  assert.equal(
    (await one('sleep 60', { commands: [{ cmd: 'sleep 60', timeoutSeconds: 1 }] })).status,
    'timeout',
  );
  const busy = await box.run({
    files: [],
    commands: [{ cmd: py('while True: pass'), timeoutSeconds: 1 }],
    limits: SMALL,
  });
  assert.equal(busy.commands[0]!.status, 'timeout');
});

test('a background process left behind does not outlive the job', async () => {
  const r = await one('(sleep 1000 &) ; echo started');
  assert.equal(r.status, 'ok'); // afterEach checks that the container is gone
});

test('TCP to a public address, DNS and the cloud metadata address all fail with the network off', async () => {
  for (const [host, port] of [
    ['192.0.2.10', 80],
    ['169.254.169.254', 80],
  ] as const) {
    const r = await one(py(`import socket\nsocket.create_connection(("${host}", ${port}), timeout=2)`));
    assert.equal(r.status, 'failed');
    assert.match(r.stderr, /unreachable|OSError/);
  }
  const dns = await one(py('import socket\nsocket.getaddrinfo("pypi.org", 443)'));
  assert.equal(dns.status, 'failed');
  assert.match(dns.stderr, /gaierror|Temporary failure|Name or service/);
});

test('no secret of the host reaches the sandbox: not in its environment, not in readable files', async () => {
  const r = await one('env; cat /etc/shadow 2>&1; ls /root 2>&1');
  assert.ok(!r.stdout.includes(HOST_SECRET));
  assert.match(r.stdout, /Permission denied/);
});

test('the Docker socket is not there', async () => {
  const r = await one('ls -l /var/run/docker.sock /run/docker.sock');
  assert.equal(r.status, 'failed');
  assert.match(r.stderr, /No such file/);
});

test('setuid, mount, unshare and writing the root file system are refused', async () => {
  assert.match((await one(py('import os\nos.setuid(0)'))).stderr, /PermissionError|Operation not permitted/);
  assert.equal((await one('mount -t tmpfs none /mnt')).status, 'failed');
  assert.equal((await one('unshare -r true')).status, 'failed');
  const root = await one('touch /usr/local/x');
  assert.equal(root.status, 'failed');
  assert.match(root.stderr, /Read-only file system|Permission denied/);
});

test('killing PID 1 is refused', async () => {
  const r = await one('kill -9 1; sleep 1; echo alive');
  assert.equal(r.status, 'ok');
  assert.match(r.stdout, /alive/, 'the init ignored the signal and the container lives on');
});

test('file-descriptor exhaustion stops at the open-files limit', async () => {
  const r = await one(
    py(
      'fs=[]\ntry:\n    while True: fs.append(open("/dev/null"))\nexcept OSError as e:\n    print(len(fs), e.errno); raise SystemExit(4)',
    ),
  );
  assert.equal(r.status, 'failed');
  assert.ok(Number(r.stdout.split(' ')[0]) < 1100);
});

test('a result file that is a symlink to a host path is not followed or returned', async () => {
  const result = await box.run({
    files: [],
    commands: [{ cmd: 'ln -s /etc/passwd report.xml; mkdir -p out; ln -s / out/root' }],
    collect: ['report.xml', 'out/root'],
    limits: SMALL,
  });
  assert.equal(result.commands[0]!.status, 'ok');
  assert.deepEqual(result.files, []);
});

test('path traversal and absolute paths in file names are refused before any container starts', async () => {
  for (const bad of ['../evil.py', '/etc/cron.d/x', 'a/../../b', 'ok/./x']) {
    await assert.rejects(
      box.run({ files: [{ path: bad, content: 'x' }], commands: [{ cmd: 'true' }] }),
      (err: unknown) => err instanceof SandboxError && err.code === 'SANDBOX_BAD_INPUT',
    );
  }
});

test('many jobs in parallel all finish, within the concurrency limit', async () => {
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      box.run({
        files: [{ path: 'n.txt', content: String(i) }],
        commands: [{ cmd: 'cat n.txt' }],
        limits: SMALL,
      }),
    ),
  );
  assert.deepEqual(
    results.map((r) => r.commands[0]!.stdout),
    ['0', '1', '2', '3', '4', '5'],
  );
});

test('an aborted job kills its container at once', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 500);
  const started = Date.now();
  const result = await box
    .run({
      files: [],
      commands: [{ cmd: 'sleep 60' }],
      limits: { ...SMALL, timeoutSeconds: 60 },
      signal: controller.signal,
    })
    .catch((err: unknown) => err);
  assert.ok(Date.now() - started < 10_000);
  assert.ok(
    result instanceof SandboxError ||
      (result as { commands: { status: string }[] }).commands[0]!.status !== 'ok',
  );
});

test('the janitor removes what a dead process left and spares the containers of live ones', async () => {
  const make = (owner: string) =>
    docker.createContainer({
      Image: baseImageTag(),
      Cmd: ['sleep', '60'],
      Labels: { [SANDBOX_LABEL]: '1', [OWNER_LABEL]: owner },
    });
  const dead = await make(`${os.hostname()}:999999`);
  const live = await make(`${os.hostname()}:${process.ppid}`);
  try {
    assert.ok((await janitor(docker)) >= 1);
    await assert.rejects(dead.inspect(), /no such container/i);
    assert.ok(await live.inspect(), "a live process's container stays");
  } finally {
    await live.remove({ force: true });
  }
});

test('the sandbox image builds from sandbox/Dockerfile on the base image, and its jobs run as the non-root user', async () => {
  const tag = await ensureSandboxImage(docker, baseImageTag(), () => undefined);
  assert.equal(tag, sandboxImageTag(baseImageTag()));
  assert.notEqual(sandboxImageTag('python:3.11-slim'), tag, 'another base image is another image');
  const own = createDockerSandbox({ docker, image: tag });
  try {
    const r = await own.run({ files: [], commands: [{ cmd: 'id -un; pytest --version' }], limits: SMALL });
    assert.equal(r.commands[0]!.status, 'ok', r.commands[0]!.stderr);
    assert.match(r.commands[0]!.stdout, /^sandbox$/m);
  } finally {
    await own.close();
  }
});

test('with a warm pool, a job takes a pre-started container that is destroyed after use and replaced', async () => {
  const pooled = createDockerSandbox({ docker, image: baseImageTag(), poolSize: 1 });
  try {
    await new Promise((r) => setTimeout(r, 1500)); // let the pool fill
    const first = await pooled.run({
      files: [{ path: 'a.txt', content: 'one' }],
      commands: [{ cmd: 'cat a.txt; ls' }],
    });
    assert.equal(first.warm, true);
    assert.equal(first.commands[0]!.stdout, 'one' + 'a.txt\n');
    await pooled.settled();
    await assert.rejects(
      docker.getContainer(first.containerId).inspect(),
      /no such container/i,
      'single use',
    );
    await new Promise((r) => setTimeout(r, 1500));
    const second = await pooled.run({ files: [], commands: [{ cmd: 'ls' }] });
    assert.equal(second.warm, true, 'the pool was refilled');
    assert.notEqual(second.containerId, first.containerId);
    assert.equal(second.commands[0]!.stdout, '', 'nothing of the first job is left');
    const custom = await pooled.run({ files: [], commands: [{ cmd: 'true' }], limits: SMALL });
    assert.equal(custom.warm, false, 'other limits start cold');
    assert.deepEqual(pooled.stats(), { jobs: 3, warm: 2, cold: 1, poolFailures: 0 });
  } finally {
    await pooled.close();
  }
});
