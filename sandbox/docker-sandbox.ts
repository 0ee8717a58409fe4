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
  /**
   * Caps no job passes, whatever it asks (an operator raises them: DEVCREW_SANDBOX_MAX_TIMEOUT_SECONDS,
   * DEVCREW_SANDBOX_MAX_MEMORY_MB); a capped request is said so in the result. Default: the defaults.
   */
  maxLimits?: SandboxLimits;
  /** Containers kept started (with the default limits) for jobs to take at once; 0 starts each cold. */
  poolSize?: number;
  /** Where the sandbox says what went wrong beside a job (a pool container that failed to start). */
  log?: (message: string) => void;
}

/** What the sandbox has done so far, for logs and metrics. */
export interface SandboxStats {
  jobs: number;
  /** Jobs that took a started container from the pool. */
  warm: number;
  /** Jobs that started a container of their own (pool empty, other limits, or the pool failing). */
  cold: number;
  /** Pool containers that failed to start (each logged; the job went cold). */
  poolFailures: number;
}

/** The code `sh` exits with when the files could not be put in place: the sandbox failed, not the job. */
const UNPACK_FAILED = 219;

/**
 * Runs untrusted code in a fresh, locked-down container per job: no network, every capability dropped,
 * no new privileges, read-only root with size-limited tmpfs work dirs, memory without swap, CPU, pids and
 * ulimits, a non-root user, an init, no logs. The files go in through the first command's own exec (a tar
 * on its stdin), result files come out as tar through one more. A used container is removed in the
 * background; `close()` waits for every removal, and the janitor removes what a crash left.
 */
export interface DockerSandbox extends Sandbox {
  stats(): SandboxStats;
  /** Resolves once every used container is removed (removal runs in the background after a job). */
  settled(): Promise<void>;
}

export function createDockerSandbox(options: SandboxOptions): DockerSandbox {
  const { docker } = options;
  const max = { ...DEFAULT_LIMITS, ...options.maxLimits };
  const live = new Set<Docker.Container>();
  const removals = new Set<Promise<void>>();
  const stats: SandboxStats = { jobs: 0, warm: 0, cold: 0, poolFailures: 0 };
  const log = options.log ?? (() => undefined);
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
        // The project root is importable however its tests are run (`pytest tests/...` puts only
        // tests/ on sys.path; `python3 -m pytest` adds the root): `from codes.x import y` always works.
        `PYTHONPATH=${WORKDIR}`,
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
    try {
      await container.start();
      await verifyLimits(container, limits);
    } catch (err) {
      dispose(container);
      throw err;
    }
    return container;
  }

  /** Removes a container in the background; `close()` waits for it. */
  function dispose(container: Docker.Container): void {
    const removal = removeContainer(container).finally(() => {
      live.delete(container);
      removals.delete(removal);
    });
    removals.add(removal);
  }

  /** Pre-started single-use containers with the default limits; a job takes one, a new one replaces it. */
  const pool: Promise<Docker.Container | undefined>[] = [];
  const refill = () => {
    while (!closed && pool.length < (options.poolSize ?? 0)) {
      pool.push(
        startContainer(DEFAULT_LIMITS).catch((err: unknown) => {
          stats.poolFailures++;
          log(
            `sandbox: a pool container failed to start, jobs start cold meanwhile: ${(err as Error).message}`,
          );
          return undefined;
        }),
      );
    }
  };
  let closed = false;
  refill();

  async function run(job: SandboxJob): Promise<SandboxResult> {
    const capped: NonNullable<SandboxResult['capped']> = [];
    const limits = { ...DEFAULT_LIMITS, ...job.limits };
    for (const key of Object.keys(limits) as (keyof SandboxLimits)[]) {
      if (!(limits[key] > 0))
        throw new SandboxError('SANDBOX_BAD_INPUT', `${key} must be positive, not ${limits[key]}`);
      if (limits[key] > max[key]) {
        // What the job asked for is reported when lowered; a default above a lower cap just follows it.
        if (job.limits?.[key] !== undefined)
          capped.push({ limit: key, asked: limits[key], applied: max[key] });
        limits[key] = max[key];
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
    stats.jobs++;
    try {
      const canUseWarm = pool.length > 0 && sameLimits(limits, DEFAULT_LIMITS);
      container = canUseWarm ? await pool.shift() : undefined;
      warm = container !== undefined;
      if (canUseWarm) refill();
      if (warm) stats.warm++;
      else stats.cold++;
      container ??= await startContainer(limits, job.labels);
      if (job.labels?.runId) {
        // Labels are fixed at creation, so a container is named after the job it serves (in the background).
        const name = `devcrew-${job.labels.runId}-${job.labels.taskId ?? 'job'}-${container.id.slice(0, 8)}`;
        void container
          .rename({ name: name.replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, 200) })
          .catch(() => undefined);
      }
      const results: CommandResult[] = [];
      let oomKills = 0;
      let unpacked = false;
      for (const command of job.commands.length ? job.commands : [undefined]) {
        if (job.signal?.aborted) throw new SandboxError('SANDBOX_CANCELLED', 'the job was cancelled');
        const asked = command?.timeoutSeconds ?? limits.timeoutSeconds;
        const seconds = Math.min(asked, max.timeoutSeconds);
        // The first exec also puts the files in place (a tar on its stdin): one round trip fewer.
        const input = unpacked ? undefined : files;
        unpacked = true;
        if (!command) {
          const r = await runCommand(
            container,
            undefined,
            seconds * 1000,
            limits,
            input,
            job.signal,
            oomKills,
          );
          if (r.status !== 'ok')
            throw new SandboxError('SANDBOX_ERROR', `putting the files in place failed: ${r.stderr.trim()}`);
          break;
        }
        const result = await runCommand(
          container,
          command.cmd,
          seconds * 1000,
          limits,
          input,
          job.signal,
          oomKills,
        );
        if (asked > seconds) result.capped = { asked, applied: seconds };
        if (result.status === 'oom') oomKills++;
        results.push(result);
        if (result.status !== 'ok' && result.status !== 'failed' && result.status !== 'killed') break; // the container is gone
        if (job.stopOnFailure && result.status !== 'ok') break;
      }
      const collected =
        job.collect?.length && (await container.inspect()).State.Running
          ? await collect(container, job.collect)
          : [];
      return {
        commands: results,
        files: collected,
        containerId: container.id,
        warm,
        ...(capped.length ? { capped } : {}),
      };
    } finally {
      job.signal?.removeEventListener('abort', onAbort);
      if (container) dispose(container);
      release();
    }
  }

  /**
   * One exec: `cmd` (a string for `sh -c`, or argv), after unpacking `input` (a tar stream) into the work
   * dir when given. The result says how it ended, with evidence for a timeout, an OOM kill or a SIGKILL.
   */
  async function runCommand(
    container: Docker.Container,
    cmd: string | string[] | undefined,
    timeoutMs: number,
    limits: Required<SandboxLimits>,
    input: NodeJS.ReadableStream | undefined,
    signal: AbortSignal | undefined,
    oomKillsBefore: number,
  ): Promise<CommandResult> {
    const started = Date.now();
    const unpack = `tar -x -f - -C ${WORKDIR} || exit ${UNPACK_FAILED}`;
    const argv = !input
      ? typeof cmd === 'string'
        ? ['sh', '-c', cmd]
        : cmd!
      : cmd === undefined
        ? ['sh', '-c', unpack]
        : typeof cmd === 'string'
          ? ['sh', '-c', `${unpack}; exec sh -c "$1"`, 'sh', cmd]
          : ['sh', '-c', `${unpack}; exec "$@"`, 'sh', ...cmd];
    const out = { stdout: capture(limits.outputBytes), stderr: capture(limits.outputBytes) };
    let overflow = false;
    try {
      const exec = await container.exec({
        Cmd: argv,
        AttachStdin: input !== undefined,
        AttachStdout: true,
        AttachStderr: true,
        WorkingDir: WORKDIR,
      });
      const stream = await exec.start({ hijack: true, stdin: input !== undefined });
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
      if (input) input.pipe(stream);
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
        await container.kill().catch(() => undefined);
        stream.destroy();
        return result(outcome === 'timeout' ? 'timeout' : 'output_limit', null, {
          limit_seconds: Math.round(timeoutMs / 1000),
        });
      }
      const code = (await exec.inspect()).ExitCode ?? null;
      if (signal?.aborted) return result('sandbox_error', code);
      if (input && code === UNPACK_FAILED && /tar:/.test(out.stderr.text()))
        return result('sandbox_error', code);
      if (code === 0) return result('ok', code);
      // A command that ended with its container (docker kill, the engine stopping or restarting) did not
      // fail: the sandbox did. The engine not answering any more says the same.
      const state = await container.inspect().catch(() => undefined);
      if (!state?.State.Running && !state?.State.OOMKilled) {
        out.stderr.push(Buffer.from(`\n[sandbox] the container ended under the command (exit ${code})`));
        return result('sandbox_error', code);
      }
      if (code === 137) {
        // SIGKILL: the kernel's OOM killer counts in the cgroup; anything else is a plain kill (`kill -9`).
        const memory = await memoryCounters(container);
        if (state?.State.OOMKilled || memory.oomKills > oomKillsBefore) {
          return result('oom', code, {
            memory_limit_bytes: limits.memoryBytes,
            ...(memory.peakBytes !== undefined ? { peak_memory_bytes: memory.peakBytes } : {}),
          });
        }
        return result('killed', code);
      }
      return result('failed', code);
    } catch (err) {
      out.stderr.push(Buffer.from(`\n[sandbox] ${(err as Error).message}`));
      return result('sandbox_error', null);
    }

    function result(
      status: CommandStatus,
      exitCode: number | null,
      evidence?: CommandResult['evidence'],
    ): CommandResult {
      return {
        cmd: cmd ?? 'unpack files',
        status,
        exitCode,
        stdout: out.stdout.text(),
        stderr: out.stderr.text(),
        stdoutTruncated: out.stdout.truncated,
        stderrTruncated: out.stderr.truncated,
        durationMs: Date.now() - started,
        ...(evidence ? { evidence } : {}),
      };
    }
  }

  /** The cgroup's OOM-kill count and peak memory, read from inside (cgroup v1 or v2). */
  async function memoryCounters(
    container: Docker.Container,
  ): Promise<{ oomKills: number; peakBytes?: number }> {
    const read = await runCommand(
      container,
      'cat /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control /sys/fs/cgroup/memory.peak /sys/fs/cgroup/memory/memory.max_usage_in_bytes 2>/dev/null; true',
      5_000,
      DEFAULT_LIMITS,
      undefined,
      undefined,
      0,
    ).catch(() => undefined);
    const text = read?.stdout ?? '';
    const kills = /^oom_kill (\d+)$/m.exec(text)?.[1];
    const peak = text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => /^\d+$/.test(l));
    return { oomKills: kills ? Number(kills) : 0, ...(peak ? { peakBytes: Number(peak) } : {}) };
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
    stats: () => ({ ...stats }),
    async settled() {
      while (removals.size > 0) await Promise.all([...removals]);
    },
    async close() {
      closed = true;
      const pooled = await Promise.all(pool.splice(0));
      for (const c of pooled) if (c) dispose(c);
      for (const c of live) dispose(c);
      while (removals.size > 0) await Promise.all([...removals]);
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
  const wrong = limitProblems(await container.inspect(), limits);
  if (wrong.length > 0) {
    throw new SandboxError(
      'SANDBOX_LIMITS_NOT_APPLIED',
      `the Docker engine did not apply: ${wrong.join(', ')}; refusing to run untrusted code`,
    );
  }
}

/**
 * What a container's inspect shows against the limits it must have: memory, memory+swap (no swap), CPUs,
 * pids, no network, a read-only root, every capability dropped, no new privileges, the non-root user.
 */
export function limitProblems(
  inspect: Pick<Docker.ContainerInspectInfo, 'HostConfig' | 'Config'>,
  limits: Required<SandboxLimits>,
): string[] {
  const h = inspect.HostConfig;
  const wrong: string[] = [];
  if (h.NetworkMode !== 'none') wrong.push(`network ${h.NetworkMode}`);
  if (!h.ReadonlyRootfs) wrong.push('root is writable');
  if (h.Memory !== limits.memoryBytes) wrong.push(`memory ${h.Memory} (want ${limits.memoryBytes})`);
  if (h.MemorySwap !== limits.memoryBytes) wrong.push(`memory+swap ${h.MemorySwap} (swap allowed)`);
  if (h.NanoCpus !== Math.round(limits.cpus * 1e9))
    wrong.push(`cpus ${(h.NanoCpus ?? 0) / 1e9} (want ${limits.cpus})`);
  if (h.PidsLimit !== limits.pids) wrong.push(`pids ${h.PidsLimit}`);
  if (!(h.CapDrop ?? []).includes('ALL')) wrong.push('capabilities kept');
  if ((h.CapAdd ?? []).length > 0) wrong.push(`capabilities added: ${(h.CapAdd ?? []).join(', ')}`);
  if (!(h.SecurityOpt ?? []).includes('no-new-privileges')) wrong.push('new privileges allowed');
  if (h.Privileged) wrong.push('privileged');
  if (inspect.Config.User !== SANDBOX_USER)
    wrong.push(`user ${inspect.Config.User || 'root'} (want ${SANDBOX_USER})`);
  return wrong;
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
