import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Docker from 'dockerode';
import { baseImageTag } from '../../runtime/provision';
import {
  createDockerSandbox,
  DEFAULT_LIMITS,
  limitProblems,
  SANDBOX_USER,
  type DockerSandbox,
} from '../../sandbox';

/**
 * The sandbox's own honesty: caps it enforces whatever a job asks (and says so), a SIGKILL told apart
 * from an OOM kill by the kernel's own count, the limits it checks on every container, and a warm pool
 * that fails without failing the job.
 */
const docker = new Docker();
const MEMORY = 256 * 1024 ** 2;
let box: DockerSandbox;
before(() => {
  box = createDockerSandbox({
    docker,
    image: baseImageTag(),
    maxLimits: { timeoutSeconds: 20, memoryBytes: 512 * 1024 ** 2 },
  });
});
after(() => box?.close());

test('a command asking 3,600 s gets the cap, and the result says what it asked and got', async () => {
  const r = await box.run({ files: [], commands: [{ cmd: 'true', timeoutSeconds: 3600 }] });
  assert.equal(r.commands[0]!.status, 'ok');
  assert.deepEqual(r.commands[0]!.capped, { asked: 3600, applied: 20 });
  const big = await box.run({
    files: [],
    commands: [{ cmd: 'true' }],
    limits: { memoryBytes: 8 * 1024 ** 3 },
  });
  assert.deepEqual(big.capped, [{ limit: 'memoryBytes', asked: 8 * 1024 ** 3, applied: 512 * 1024 ** 2 }]);
  assert.deepEqual(
    big.capped?.map((c) => c.limit),
    ['memoryBytes'],
  );
});

test('a job over its time limit is a timeout with the limit as evidence', async () => {
  const r = await box.run({ files: [], commands: [{ cmd: 'sleep 30', timeoutSeconds: 1 }] });
  assert.equal(r.commands[0]!.status, 'timeout');
  assert.deepEqual(r.commands[0]!.evidence, { limit_seconds: 1 });
});

test('a memory blow-up is oom, with the limit and the peak as evidence', async () => {
  const r = await box.run({
    files: [],
    commands: [{ cmd: 'python3 -c "x = bytearray(1024 ** 3)"' }],
    limits: { memoryBytes: MEMORY },
  });
  const c = r.commands[0]!;
  assert.equal(c.status, 'oom', JSON.stringify(c));
  assert.equal(c.exitCode, 137);
  assert.equal(c.evidence?.memory_limit_bytes, MEMORY);
  assert.ok((c.evidence?.peak_memory_bytes ?? 0) > MEMORY * 0.8, `peak ${c.evidence?.peak_memory_bytes}`);
});

test('a plain SIGKILL (the code killing itself) is "killed", not "oom"', async () => {
  const r = await box.run({
    files: [],
    commands: [{ cmd: 'kill -9 $$' }, { cmd: 'echo still here' }],
    limits: { memoryBytes: MEMORY },
  });
  assert.deepEqual(
    r.commands.map((c) => [c.status, c.exitCode]),
    [
      ['killed', 137],
      ['ok', 0],
    ],
    'the container lives on: the next command runs',
  );
});

test('every container is checked against its limits; a doctored one is refused, naming each difference', async () => {
  const good = {
    memoryBytes: MEMORY,
    cpus: 1,
    pids: 64,
    workDirBytes: 1024 ** 2,
    outputBytes: 1024,
    timeoutSeconds: 5,
  };
  const container = await docker.createContainer({
    Image: baseImageTag(),
    Cmd: ['true'],
    User: SANDBOX_USER,
    HostConfig: {
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      Memory: MEMORY,
      MemorySwap: MEMORY,
      NanoCpus: 1e9,
      PidsLimit: 64,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
    },
  });
  try {
    const inspect = await container.inspect();
    assert.deepEqual(limitProblems(inspect, good), [], 'a container made as the sandbox makes them passes');
    const doctored = {
      Config: { ...inspect.Config, User: '' },
      HostConfig: {
        ...inspect.HostConfig,
        NetworkMode: 'bridge',
        ReadonlyRootfs: false,
        MemorySwap: -1,
        NanoCpus: 4e9,
        PidsLimit: 0,
        CapDrop: [],
        CapAdd: ['SYS_ADMIN'],
        SecurityOpt: [],
        Privileged: true,
      },
    };
    assert.deepEqual(limitProblems(doctored, good), [
      'network bridge',
      'root is writable',
      'memory+swap -1 (swap allowed)',
      'cpus 4 (want 1)',
      'pids 0',
      'capabilities kept',
      'capabilities added: SYS_ADMIN',
      'new privileges allowed',
      'privileged',
      `user root (want ${SANDBOX_USER})`,
    ]);
  } finally {
    await container.remove({ force: true });
  }
});

test('a warm-pool container that fails to start is logged and counted, and the job starts cold', async () => {
  let failures = 1;
  // The engine refuses the pool's first container; every later create goes through.
  const flaky = new Proxy(docker, {
    get(target, prop, receiver) {
      if (prop === 'createContainer') {
        return (opts: Docker.ContainerCreateOptions) =>
          failures-- > 0 ? Promise.reject(new Error('engine busy (injected)')) : target.createContainer(opts);
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const logged: string[] = [];
  const pooled = createDockerSandbox({
    docker: flaky,
    image: baseImageTag(),
    poolSize: 1,
    log: (m) => logged.push(m),
  });
  try {
    await new Promise((r) => setTimeout(r, 300));
    const r = await pooled.run({ files: [], commands: [{ cmd: 'echo ok' }] });
    assert.equal(r.commands[0]!.stdout, 'ok\n');
    assert.equal(r.warm, false, 'the pool had nothing: the job went cold');
    assert.equal(pooled.stats().poolFailures, 1);
    assert.match(
      logged.join('\n'),
      /a pool container failed to start, jobs start cold meanwhile: engine busy \(injected\)/,
    );
  } finally {
    await pooled.close();
  }
  assert.equal(DEFAULT_LIMITS.timeoutSeconds, 300, 'the documented default cap');
});
