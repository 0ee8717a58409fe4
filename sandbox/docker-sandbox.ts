import os from 'node:os';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { SANDBOX_USER } from './image';
import { SandboxError } from './paths';
import { packFiles, unpackFiles } from './tar';
import type {
  CommandResult,
  CommandStatus,
  Sandbox,
  SandboxJob,
  SandboxLimits,
  SandboxResult,
} from './types';

export const SANDBOX_LABEL = 'devcrew.sandbox';
/** Which process owns a container (`host:pid`), so a janitor removes only what dead processes left. */
export const OWNER_LABEL = 'devcrew.owner';
const OWNER = `${os.hostname()}:${process.pid}`;
const WORKDIR = '/workspace';

/** The migration plan's limits: no network, 2 GB, 1 CPU, 5 minutes. */
export const DEFAULT_LIMITS: Required<SandboxLimits> = {
  memoryBytes: 2 * 1024 ** 3,
  cpus: 1,
  pids: 256,
  workDirBytes: 512 * 1024 ** 2,
  outputBytes: 1024 ** 2,
  timeoutSeconds: 300,
};

export interface SandboxOptions {
  docker: Docker;
  image: string;
  /** Jobs running at once on this host; more wait their turn. */
  maxConcurrency?: number;
  /** Ceilings a job's own limits may not pass. */
  maxLimits?: SandboxLimits;
  /** Containers kept started (with the default limits) for jobs to take at once; 0 starts each cold. */
  poolSize?: number;
}

/**
 * Runs untrusted code in a fresh, locked-down container per job: no network, every capability dropped,
 * no new privileges, read-only root with size-limited tmpfs work dirs, memory without swap, CPU, pids and
 * ulimits, a non-root user, an init, no logs. Files go in and out as tar through exec. The container is
 * always removed, also on timeout, cancellation or error.
 */
export function createDockerSandbox(options: SandboxOptions): Sandbox {
  const { docker } = options;
  const max = { ...DEFAULT_LIMITS, ...options.maxLimits };
  const live = new Set<Docker.Container>();
  let slots = options.maxConcurrency ?? 2;
  const waiting: (() => void)[] = [];
  const acquire = () =>
    slots > 0 ? (slots--, Promise.resolve()) : new Promise<void>((r) => waiting.push(r));
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else slots++;
  };

  /** A started container with the limits verified; it waits (sleep) for exec'd commands. */
  async function startContainer(
    limits: Required<SandboxLimits>,
    labels?: SandboxJob['labels'],
  ): Promise<Docker.Container> {
    const container = await docker.createContainer({
      Image: options.image,
      Cmd: ['sleep', 'infinity'],
      User: SANDBOX_USER,
      Env: [
        'HOME=/tmp',
        'TMPDIR=/tmp',
        'PYTHONDONTWRITEBYTECODE=1',
        'MYPY_CACHE_DIR=/tmp/.mypy_cache',
        'PYTHONUNBUFFERED=1',
      ],
      Labels: {
        [SANDBOX_LABEL]: '1',
        [OWNER_LABEL]: OWNER,
        'devcrew.run': labels?.runId ?? '',
        'devcrew.task': labels?.taskId ?? '',
      },
      NetworkDisabled: true,
      HostConfig: {
        NetworkMode: 'none',
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        ReadonlyRootfs: true,
        Tmpfs: {
          [WORKDIR]: `rw,exec,nosuid,size=${limits.workDirBytes},mode=1777`,
          '/tmp': 'rw,nosuid,size=134217728,mode=1777',
        },
        Memory: limits.memoryBytes,
        MemorySwap: limits.memoryBytes,
        NanoCpus: Math.round(limits.cpus * 1e9),
        PidsLimit: limits.pids,
        Ulimits: [
          { Name: 'nofile', Soft: 1024, Hard: 1024 },
          { Name: 'fsize', Soft: limits.workDirBytes, Hard: limits.workDirBytes },
          { Name: 'core', Soft: 0, Hard: 0 },
        ],
        Init: true,
        LogConfig: { Type: 'none', Config: {} },
      },
    });
    live.add(container);
    await container.start();
    await verifyLimits(container, limits);
    return container;
  }

  /** Pre-started single-use containers with the default limits; a job takes one, a new one replaces it. */
  const pool: Promise<Docker.Container | undefined>[] = [];
  const refill = () => {
    while (!closed && pool.length < (options.poolSize ?? 0)) {
      pool.push(startContainer(DEFAULT_LIMITS).catch(() => undefined));
    }
  };
  let closed = false;
  refill();

  async function run(job: SandboxJob): Promise<SandboxResult> {
    const limits = { ...DEFAULT_LIMITS, ...job.limits };
    for (const key of Object.keys(limits) as (keyof SandboxLimits)[]) {
      if (limits[key] > max[key]) {
        throw new SandboxError(
          'SANDBOX_BAD_INPUT',
          `${key} ${limits[key]} is over the configured maximum ${max[key]}; ask for less`,
        );
      }
    }
    const files = packFiles(job.files); // refuses unsafe paths before any container exists
    if (job.signal?.aborted)
      throw new SandboxError('SANDBOX_CANCELLED', 'the job was cancelled before it started');
    await acquire();
    let container: Docker.Container | undefined;
    let warm = false;
    const onAbort = () => void container?.kill().catch(() => undefined);
    job.signal?.addEventListener('abort', onAbort);
    try {
      const canUseWarm = pool.length > 0 && sameLimits(limits, DEFAULT_LIMITS);
      container = canUseWarm ? await pool.shift() : undefined;
      warm = container !== undefined;
      if (canUseWarm) refill();
      container ??= await startContainer(limits, job.labels);
      if (job.labels?.runId) {
        // Labels are fixed at creation, so a pooled container is named after the job it now serves.
        const name = `devcrew-${job.labels.runId}-${job.labels.taskId ?? 'job'}-${container.id.slice(0, 8)}`;
        await container
          .rename({ name: name.replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, 200) })
          .catch(() => undefined);
      }
      await execWithInput(container, ['tar', '-x', '-f', '-', '-C', WORKDIR], files);

      const results: CommandResult[] = [];
      for (const command of job.commands) {
        if (job.signal?.aborted) throw new SandboxError('SANDBOX_CANCELLED', 'the job was cancelled');
        const result = await runCommand(
          container,
          command.cmd,
          (command.timeoutSeconds ?? limits.timeoutSeconds) * 1000,
          limits.outputBytes,
          job.signal,
        );
        results.push(result);
        if (result.status !== 'ok' && result.status !== 'failed') break; // the container is gone
        if (job.stopOnFailure && result.status !== 'ok') break;
      }
      const alive = (await container.inspect()).State.Running;
      const collected = alive && job.collect?.length ? await collect(container, job.collect) : [];
      return { commands: results, files: collected, containerId: container.id, warm };
    } finally {
      job.signal?.removeEventListener('abort', onAbort);
      if (container) {
        await removeContainer(container);
        live.delete(container);
      }
      release();
    }
  }

  async function runCommand(
    container: Docker.Container,
    cmd: string | string[],
    timeoutMs: number,
    outputBytes: number,
    signal?: AbortSignal,
  ): Promise<CommandResult> {
    const started = Date.now();
    const argv = typeof cmd === 'string' ? ['sh', '-c', cmd] : cmd;
    const out = { stdout: capture(outputBytes), stderr: capture(outputBytes) };
    let timedOut = false;
    let overflow = false;
    try {
      const exec = await container.exec({
        Cmd: argv,
        AttachStdout: true,
        AttachStderr: true,
        WorkingDir: WORKDIR,
      });
      const stream = await exec.start({ hijack: true, stdin: false });
      const finished = new Promise<void>((resolve) => {
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', resolve);
      });
      const so = new PassThrough();
      const se = new PassThrough();
      so.on('data', (c: Buffer) => (overflow = out.stdout.push(c) || overflow));
      se.on('data', (c: Buffer) => (overflow = out.stderr.push(c) || overflow));
      docker.modem.demuxStream(stream, so, se);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>(
        (resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)),
      );
      const outputWatch = new Promise<'overflow'>((resolve) => {
        const check = () => overflow && resolve('overflow');
        so.on('data', check);
        se.on('data', check);
      });
      const outcome = await Promise.race([finished.then(() => 'done' as const), timeout, outputWatch]);
      clearTimeout(timer);
      if (outcome !== 'done') {
        timedOut = outcome === 'timeout';
        await container.kill().catch(() => undefined);
        stream.destroy();
        const state = await container.inspect().catch(() => undefined);
        return result(timedOut ? 'timeout' : 'output_limit', state?.State.ExitCode ?? null);
      }
      const info = await exec.inspect();
      const state = await container.inspect();
      const code = info.ExitCode ?? null;
      if (signal?.aborted) return result('sandbox_error', code);
      // The container itself died under the command (docker kill, the engine restarting): not the code's
      // doing, so the sandbox failed, and the step is tried again.
      if (!state.State.Running && !state.State.OOMKilled) return result('sandbox_error', code);
      // SIGKILL (137) that devcrew did not send comes from the kernel's OOM killer: the cgroup is at its limit.
      if (state.State.OOMKilled || code === 137) return result('oom', code);
      return result(code === 0 ? 'ok' : 'failed', code);
    } catch (err) {
      out.stderr.push(Buffer.from(`\n[sandbox] ${(err as Error).message}`));
      return result('sandbox_error', null);
    }

    function result(status: CommandStatus, exitCode: number | null): CommandResult {
      return {
        cmd,
        status,
        exitCode,
        stdout: out.stdout.text(),
        stderr: out.stderr.text(),
        stdoutTruncated: out.stdout.truncated,
        stderrTruncated: out.stderr.truncated,
        durationMs: Date.now() - started,
      };
    }
  }

  async function execWithInput(
    container: Docker.Container,
    argv: string[],
    input: NodeJS.ReadableStream,
  ): Promise<void> {
    const exec = await container.exec({
      Cmd: argv,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: true });
    const err = capture(64 * 1024);
    const sink = new PassThrough();
    const se = new PassThrough();
    se.on('data', (c: Buffer) => err.push(c));
    docker.modem.demuxStream(stream, sink, se);
    sink.resume();
    const done = new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
    });
    input.pipe(stream);
    await done;
    const info = await exec.inspect();
    if (info.ExitCode !== 0)
      throw new SandboxError('SANDBOX_ERROR', `copying the files in failed: ${err.text().trim()}`);
  }

  async function collect(
    container: Docker.Container,
    paths: string[],
  ): Promise<{ path: string; content: Buffer }[]> {
    const script =
      'for p in "$@"; do if [ -e "$p" ] || [ -L "$p" ]; then printf "%s\\0" "$p"; fi; done | tar --null -T - -c -f - 2>/dev/null';
    const exec = await container.exec({
      Cmd: ['sh', '-c', script, 'collect', ...paths],
      AttachStdout: true,
      AttachStderr: true,
      WorkingDir: WORKDIR,
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    const tarOut = new PassThrough();
    docker.modem.demuxStream(stream, tarOut, new PassThrough().resume());
    stream.on('end', () => tarOut.end());
    stream.on('close', () => tarOut.end());
    const { files } = await unpackFiles(tarOut, 16 * 1024 ** 2);
    return files;
  }

  return {
    run,
    async close() {
      closed = true;
      const pooled = await Promise.all(pool.splice(0));
      await Promise.all(pooled.map((c) => c && removeContainer(c)));
      await Promise.all([...live].map((c) => removeContainer(c)));
      live.clear();
    },
  };
}

/** Removes a container for sure: kill, then force-remove, retried while the engine is still busy with it. */
async function removeContainer(container: Docker.Container): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    await container.kill().catch(() => undefined);
    try {
      await container.remove({ force: true, v: true });
      return;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return;
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
    }
  }
}

/** Refuses to run when the engine did not apply the limits asked for. */
async function verifyLimits(container: Docker.Container, limits: Required<SandboxLimits>): Promise<void> {
  const { HostConfig: h } = await container.inspect();
  const wrong: string[] = [];
  if (h.NetworkMode !== 'none') wrong.push(`network ${h.NetworkMode}`);
  if (!h.ReadonlyRootfs) wrong.push('root is writable');
  if (h.Memory !== limits.memoryBytes) wrong.push(`memory ${h.Memory}`);
  if (h.MemorySwap !== limits.memoryBytes) wrong.push(`memory+swap ${h.MemorySwap}`);
  if (h.PidsLimit !== limits.pids) wrong.push(`pids ${h.PidsLimit}`);
  if (!(h.CapDrop ?? []).includes('ALL')) wrong.push('capabilities kept');
  if (wrong.length > 0) {
    throw new SandboxError(
      'SANDBOX_LIMITS_NOT_APPLIED',
      `the Docker engine did not apply: ${wrong.join(', ')}; refusing to run untrusted code`,
    );
  }
}

function capture(limit: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  return {
    /** Returns true once the cap is passed. */
    push(c: Buffer): boolean {
      if (size < limit) chunks.push(c.subarray(0, limit - size));
      size += c.length;
      if (size > limit) truncated = true;
      return truncated;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
    get truncated() {
      return truncated;
    },
  };
}

/**
 * Removes the sandbox containers that dead processes on this host left behind (run at worker start).
 * Containers of live processes, and of other hosts sharing the engine, are left alone.
 */
export async function janitor(docker: Docker): Promise<number> {
  const left = await docker.listContainers({ all: true, filters: { label: [SANDBOX_LABEL] } });
  const dead = left.filter((c) => {
    const [host, pid] = (c.Labels[OWNER_LABEL] ?? '').split(':');
    if (host !== os.hostname() || !pid) return !c.Labels[OWNER_LABEL];
    try {
      process.kill(Number(pid), 0);
      return false;
    } catch {
      return true;
    }
  });
  await Promise.all(dead.map((c) => removeContainer(docker.getContainer(c.Id))));
  return dead.length;
}

function sameLimits(a: Required<SandboxLimits>, b: Required<SandboxLimits>): boolean {
  return (Object.keys(b) as (keyof SandboxLimits)[]).every((k) => a[k] === b[k]);
}
