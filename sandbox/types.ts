/**
 * The sandbox API: run untrusted code (files in, commands, result files out) in a locked-down Docker
 * container. It knows nothing of Temporal; activities wrap it.
 */

/**
 * How a command ended: `ok` (exit 0), `failed` (another exit code), `timeout` (it ran past its limit and
 * the sandbox killed it), `oom` (the kernel's OOM killer, at the memory limit), `killed` (a SIGKILL that
 * was neither: the code killed itself), `output_limit` (it wrote more than the cap), `sandbox_error` (the
 * sandbox or the Docker engine failed, not the code).
 */
export type CommandStatus = 'ok' | 'failed' | 'timeout' | 'oom' | 'killed' | 'output_limit' | 'sandbox_error';

export interface SandboxFile {
  /** Relative POSIX path inside the work dir; absolute paths, `..` and links are refused. */
  path: string;
  content: string | Buffer;
}

export interface SandboxCommand {
  /** An argv array, or a string run by `sh -c`. */
  cmd: string | string[];
  /** Wall-clock limit of this command (default: the job's limit). */
  timeoutSeconds?: number;
}

export interface SandboxLimits {
  /** Memory, and memory plus swap (no swap). Default 2 GiB. */
  memoryBytes?: number;
  /** CPUs. Default 1. */
  cpus?: number;
  /** Processes and threads. */
  pids?: number;
  /** Size of the work dir tmpfs. */
  workDirBytes?: number;
  /** Cap on each of stdout and stderr kept per command. */
  outputBytes?: number;
  /** Default per-command timeout. Default 300 s (the migration plan's 5 minutes). */
  timeoutSeconds?: number;
}

export interface SandboxJob {
  files: SandboxFile[];
  commands: SandboxCommand[];
  /** Result files to bring back (relative paths), e.g. `report.xml`, `coverage.json`. Missing ones are skipped. */
  collect?: string[];
  /** Stop after the first command that does not end `ok`. Default false: run them all. */
  stopOnFailure?: boolean;
  limits?: SandboxLimits;
  /** Recorded as container labels, so a janitor can find what a dead run left. */
  labels?: { runId?: string; taskId?: string };
  /** Aborting kills the container at once. */
  signal?: AbortSignal;
}

export interface CommandResult {
  cmd: string | string[];
  status: CommandStatus;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  durationMs: number;
  /** The command asked for a longer time limit than the sandbox allows: what it asked, what it got. */
  capped?: { asked: number; applied: number };
  /** What a timeout or an OOM kill was measured against. */
  evidence?: { limit_seconds?: number; memory_limit_bytes?: number; peak_memory_bytes?: number };
}

export interface SandboxResult {
  commands: CommandResult[];
  files: { path: string; content: Buffer }[];
  /** The container that ran the job (already removed). */
  containerId: string;
  /** Whether the job took a pre-started container from the warm pool. */
  warm: boolean;
  /** Job limits the sandbox's caps lowered. */
  capped?: { limit: keyof SandboxLimits; asked: number; applied: number }[];
}

export interface Sandbox {
  run(job: SandboxJob): Promise<SandboxResult>;
  /** Stops the warm pool and removes every container this sandbox started. */
  close(): Promise<void>;
}
