/**
 * The sandbox API: run untrusted code (files in, commands, result files out) in a locked-down Docker
 * container. It knows nothing of Temporal; activities wrap it.
 */

/** How a command ended. */
export type CommandStatus = 'ok' | 'failed' | 'timeout' | 'oom' | 'output_limit' | 'sandbox_error';

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
}

export interface SandboxResult {
  commands: CommandResult[];
  files: { path: string; content: Buffer }[];
  /** The container that ran the job (already removed). */
  containerId: string;
  /** Whether the job took a pre-started container from the warm pool. */
  warm: boolean;
}

export interface Sandbox {
  run(job: SandboxJob): Promise<SandboxResult>;
  /** Stops the warm pool and removes every container this sandbox started. */
  close(): Promise<void>;
}
