import { spawn } from 'node:child_process';
import { ArtifactStoreError } from './errors';

export interface GitResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export interface GitCallOptions {
  /** Bytes for the command's standard input. */
  input?: string | Buffer;
  /** Extra environment (e.g. GIT_INDEX_FILE, author dates). */
  env?: Record<string, string>;
  /** Exit codes that are answers, not failures (e.g. 1 for `merge-tree` conflicts). */
  okCodes?: number[];
  timeoutMs?: number;
}

/**
 * Runs plumbing commands against one repository: always with an explicit `--git-dir`, never a work tree,
 * with inherited `GIT_*` variables removed so a caller's hook environment cannot redirect it, and at most
 * `concurrency` git processes at a time so 50 tasks committing at once do not fork-storm two cores.
 * simple-git cannot feed standard input, which `update-index --index-info` and `commit-tree -F -` need.
 */
export class GitProcess {
  private readonly baseEnv: NodeJS.ProcessEnv;
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly gitDir: string,
    private readonly concurrency = 8,
  ) {
    this.baseEnv = cleanGitEnv();
    Object.assign(this.baseEnv, { GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' });
  }

  /** Runs `git args...`; throws ARTIFACT_STORE_UNAVAILABLE on an exit code not in `okCodes` (default [0]). */
  async run(args: string[], options: GitCallOptions = {}): Promise<GitResult> {
    const res = await this.limited(() => this.spawn(args, options));
    if (res.code === null || !(options.okCodes ?? [0]).includes(res.code)) {
      throw new ArtifactStoreError(
        'ARTIFACT_STORE_UNAVAILABLE',
        `git ${args.join(' ')} failed (exit ${String(res.code)}) in ${this.gitDir}: ${res.stderr.trim() || '(no message)'}`,
        'check that the directory is a readable Git repository and that git >= 2.38 is on PATH',
      );
    }
    return res;
  }

  /** Standard output as text with the final newline removed. */
  async text(args: string[], options: GitCallOptions = {}): Promise<string> {
    return (await this.run(args, options)).stdout.toString('utf8').replace(/\n$/, '');
  }

  private async limited<T>(fn: () => Promise<T>): Promise<T> {
    while (this.running >= this.concurrency) await new Promise<void>((r) => this.waiting.push(r));
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private spawn(args: string[], options: GitCallOptions): Promise<GitResult> {
    return new Promise((resolve) => {
      const child = spawn('git', ['--git-dir', this.gitDir, ...args], {
        env: { ...this.baseEnv, ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        timeout: options.timeoutMs ?? 120_000,
      });
      const out: Buffer[] = [];
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', (err) =>
        resolve({ code: null, stdout: Buffer.concat(out), stderr: stderr + err.message }),
      );
      child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    });
  }
}

/**
 * The environment git runs with: the caller's, less anything that would redirect git (GIT_DIR and the
 * other GIT_ variables of an enclosing checkout) or that simple-git refuses (EDITOR and VISUAL, which
 * `npm run` sets).
 */
export function cleanGitEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => e[1] !== undefined && !/^(GIT_|EDITOR$|VISUAL$)/.test(e[0]),
    ),
  );
}
