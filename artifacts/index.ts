import fs from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { ArtifactStoreError } from './errors';
import { secretsFrom, type Secret } from './file-checks';
import { GitArtifactStore, type Identity } from './git-artifact-store';
import { cleanGitEnv } from './git-process';
import type { GitRemote } from './remote';

export * from './errors';
export { DEFAULT_MAX_FILE_BYTES, SECRET_VARIABLES } from './file-checks';
export { GitArtifactStore, type RunArtifacts, type TaskCommit } from './git-artifact-store';
export { gitErrorText, type GitRemote } from './remote';
export { INTEGRATION_NAME, integrationBranch, taskBranch, taskTag } from './naming';
export type * from './types';

export interface OpenArtifactStoreOptions {
  /**
   * The repository (devcrew's is `<state dir>/artifacts`, core/config.ts); created (bare) when missing. An existing repository,
   * bare or not, is used as is: only refs under `ai/generated/` and tags `workflow_*` are written, never
   * its work tree or index.
   */
  repoDir: string;
  /**
   * The Git server that is the store's source of truth on several hosts (DEVCREW_ARTIFACTS_SERVER_URL);
   * `repoDir` is then this host's cache of it.
   */
  server?: GitRemote;
  /** How long a step waits out an unreachable server (default 120 s). */
  serverWaitMs?: number;
  /** Largest file accepted, in bytes; default 1 MiB. */
  maxFileBytes?: number;
  /** Author and committer of every commit; default `devcrew <devcrew@localhost>`. */
  author?: Identity;
  /** Create the repository when missing (default true); `false` makes a missing one ARTIFACT_NOT_FOUND. */
  create?: boolean;
  /** Values never to commit; default: GEMINI_API_KEY, OPENAI_API_KEY, DEVCREW_API_TOKEN from the environment. */
  secrets?: Secret[];
}

/** Opens (and when missing, creates) the artifact store at `repoDir`. */
export async function openArtifactStore(options: OpenArtifactStoreOptions): Promise<GitArtifactStore> {
  const repoDir = path.resolve(options.repoDir);
  let gitDir = await gitDirOf(repoDir);
  if (gitDir === undefined) {
    const entries = await fs.readdir(repoDir).catch(() => undefined);
    if (options.create === false) {
      throw new ArtifactStoreError(
        entries === undefined ? 'ARTIFACT_NOT_FOUND' : 'ARTIFACT_STORE_UNAVAILABLE',
        entries === undefined
          ? `no artifact repository at ${repoDir}`
          : `${repoDir} exists and is not a Git repository`,
        'runs create it; check DEVCREW_STATE_DIR or the repository path',
      );
    }
    gitDir = await createRepository(repoDir);
  }
  return new GitArtifactStore({
    gitDir,
    repoDir,
    server: options.server,
    serverWaitMs: options.serverWaitMs,
    maxFileBytes: options.maxFileBytes,
    author: options.author,
    secrets: options.secrets ?? secretsFrom(),
  });
}

/**
 * Creates the bare repository atomically: made in a folder beside it, then renamed into place. Workers
 * starting together on one new state dir (compose replicas, a restarted topology) all end up opening the
 * same repository: whoever renames first wins, the others find its repository there.
 */
async function createRepository(repoDir: string): Promise<string> {
  await fs.mkdir(path.dirname(repoDir), { recursive: true });
  const tmp = `${repoDir}.creating-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await fs.mkdir(tmp);
    await simpleGit({ baseDir: tmp }).env(cleanGitEnv()).init(true);
    // Bare repositories keep no reflog by default; the store's branch moves are worth an audit trail.
    await simpleGit({ baseDir: tmp }).env(cleanGitEnv()).addConfig('core.logAllRefUpdates', 'always');
    // rename(2) replaces a missing or empty folder, never one with content.
    await fs.rename(tmp, repoDir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    });
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
  const gitDir = await gitDirOf(repoDir);
  if (gitDir === undefined) {
    throw new ArtifactStoreError(
      'ARTIFACT_STORE_UNAVAILABLE',
      `${repoDir} exists, is not empty and is not a Git repository`,
      'name an empty folder, an existing Git repository, or a path that does not exist yet',
    );
  }
  return gitDir;
}

/** The Git directory of `dir` itself (bare, or with `.git`), never of a repository that merely contains it. */
async function gitDirOf(dir: string): Promise<string | undefined> {
  const stat = await fs.stat(dir).catch(() => undefined);
  if (!stat?.isDirectory()) return undefined;
  let gitDir: string;
  try {
    gitDir = (
      await simpleGit({ baseDir: dir })
        .env({ ...cleanGitEnv(), GIT_CEILING_DIRECTORIES: path.dirname(dir) })
        .revparse(['--absolute-git-dir'])
    ).trim();
  } catch {
    return undefined; // not a repository
  }
  const real = await fs.realpath(dir);
  return gitDir === real || gitDir === path.join(real, '.git') ? gitDir : undefined;
}
