import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { ArtifactMetadata, ArtifactPublish, ArtifactRef } from '../contracts';
import { checkMetadata, checkSubject, formatCommitMessage, parseCommitMessage } from './commit-message';
import { ArtifactStoreError } from './errors';
import {
  type Secret,
  checkContent,
  checkNoFileFolderClash,
  checkNoSecret,
  checkPath,
  DEFAULT_MAX_FILE_BYTES,
} from './file-checks';
import { cleanGitEnv, GitProcess } from './git-process';
import { failureKind, gitErrorText, isTransient, remoteGit, remoteSettings, type GitRemote } from './remote';
import { INTEGRATION_NAME, integrationBranch, runBranchPrefix, taskBranch, taskTag } from './naming';
import type { ArtifactStore, CommitInput } from './types';

const ZERO = '0'.repeat(40);
const SHA = /^[0-9a-f]{40}$/;

/**
 * Identity and date of the one empty root commit every task branch grows from: fixed, so every store (and
 * every retry) computes the same SHA and all branches share history (merges need no unrelated-history mode).
 */
const ROOT_IDENTITY = { name: 'devcrew', email: 'devcrew@localhost' };
const ROOT_DATE = '@0 +0000';
const ROOT_MESSAGE = 'devcrew: empty start of every task branch\n';

export interface Identity {
  name: string;
  email: string;
}

export interface GitArtifactStoreOptions {
  /** The `.git` folder (or bare repository) to use; `repoDir` for people and messages. */
  gitDir: string;
  repoDir: string;
  /**
   * The Git server that is the store's source of truth (several worker hosts): refs are read from it and
   * moved on it by compare-and-swap; this repository is the host's cache of its objects.
   */
  server?: GitRemote;
  /** How long a step waits out an unreachable server before failing (retryable); default 120 s. */
  serverWaitMs?: number;
  maxFileBytes?: number;
  author?: Identity;
  secrets?: Secret[];
}

/** One commit on a task branch, as listed by `describeRun`. */
export interface TaskCommit {
  commit: string;
  subject: string;
  metadata: ArtifactMetadata;
}

/** Everything a run left in the store: what `devcrew artifacts <run>` shows. */
export interface RunArtifacts {
  run_id: string;
  repository: string;
  integration: { branch: string; commit: string; files: string[] } | null;
  tasks: Array<{
    task_id: string;
    branch: string;
    head: string;
    /** The tag on the task's final commit, once `finishTask` ran. */
    tag: { name: string; commit: string } | null;
    /** The task's own commits, newest first (dependency merges and earlier tasks' commits left out). */
    commits: TaskCommit[];
    files: string[];
  }>;
}

/**
 * The artifact store on a Git repository, written with plumbing only: blobs by `hash-object`, trees in a
 * private temporary index (`GIT_INDEX_FILE`), commits by `commit-tree`, branches moved by `update-ref`
 * with the expected old value, merges by `merge-tree --write-tree` (git >= 2.38). No work tree, no shared
 * index, so no `index.lock` races however many tasks commit at once. Commits take their dates from the
 * provenance timestamp, so a retried call with the same input makes the same SHA and finds it in place.
 */
export class GitArtifactStore implements ArtifactStore {
  readonly repoDir: string;
  readonly server: GitRemote | undefined;
  private readonly serverWaitMs: number;
  private readonly git: GitProcess;
  private readonly maxFileBytes: number;
  private readonly author: Identity;
  private readonly secrets: Secret[];
  private root: Promise<string> | undefined;

  constructor(options: GitArtifactStoreOptions) {
    this.repoDir = options.repoDir;
    this.server = options.server;
    this.serverWaitMs = options.serverWaitMs ?? 120_000;
    this.git = new GitProcess(options.gitDir);
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.author = options.author ?? ROOT_IDENTITY;
    this.secrets = options.secrets ?? [];
  }

  get gitDir(): string {
    return this.git.gitDir;
  }

  async prepareTask(input: {
    runId: string;
    taskId: string;
    dependencies: ArtifactRef[];
  }): Promise<ArtifactRef> {
    const branch = taskBranch(input.runId, input.taskId);
    const deps = await this.resolveRefs(input.dependencies);
    const base = await this.merge(deps, {
      subject: `Start ${input.taskId}: merge ${deps.map((d) => d.branch).join(', ')}`,
      trailers: [`Workflow-Id: ${input.runId}`, `Task-Id: ${input.taskId}`],
      into: branch,
    });
    await this.advance(branch, base);
    return { branch, commit: base, paths: await this.listFiles(base) };
  }

  async commit(input: CommitInput): Promise<ArtifactRef> {
    // Everything is checked before the first object is written.
    checkSubject(input.subject);
    const files = input.files.map((f) => {
      checkPath(f.path, 'file');
      return { path: f.path, bytes: checkContent(f.path, f.content, this.maxFileBytes) };
    });
    const remove = input.remove ?? [];
    remove.forEach((p) => checkPath(p, 'remove'));
    const seen = new Set<string>();
    for (const p of [...files.map((f) => f.path), ...remove]) {
      if (seen.has(p)) {
        throw new ArtifactStoreError(
          'INVALID_ARTIFACT_PATH',
          `path ${JSON.stringify(p)} is given twice (in files or remove)`,
          'write or remove each path once per commit',
        );
      }
      seen.add(p);
    }
    const artifacts = input.metadata.artifacts?.length ? input.metadata.artifacts : files.map((f) => f.path);
    const metadata = checkMetadata({ ...input.metadata, artifacts });
    metadata.artifacts.forEach((p) => checkPath(p, 'artifact'));
    const message = formatCommitMessage(input.subject, metadata);
    checkNoSecret('the commit message (subject or provenance)', message, this.secrets);
    for (const f of files) {
      checkNoSecret(`file ${JSON.stringify(f.path)}`, f.bytes, this.secrets);
      checkNoSecret(`path ${JSON.stringify(f.path)}`, f.path, this.secrets);
    }
    const branch = taskBranch(metadata.workflow_id, metadata.task_id);
    const planned = { files, remove, metadata, message };
    if (input.parent !== undefined) {
      const commit = await this.writeCommit(await this.resolveCommit(input.parent, 'parent commit'), planned);
      await this.advance(branch, commit);
      return { branch, commit, paths: metadata.artifacts };
    }
    // No parent given: build on the branch head, and if another writer moved it meanwhile, build again on
    // the new head, so concurrent steps on one branch line up and none is lost.
    for (let attempt = 0; attempt < 20; attempt++) {
      const head = await this.head(branch);
      if (head !== undefined && (await this.messageOf(head)) === message) {
        // A retry: the head may already be this very commit, built on its parent.
        const before = await this.revParse(`${head}^1`);
        const again =
          before === undefined ? undefined : await this.writeCommit(before, planned).catch(() => undefined);
        if (again === head) return { branch, commit: head, paths: metadata.artifacts };
      }
      const commit = await this.writeCommit(head ?? (await this.emptyRoot()), planned);
      if (await this.compareAndSwap(`refs/heads/${branch}`, commit, head)) {
        return { branch, commit, paths: metadata.artifacts };
      }
    }
    throw this.raceError(`refs/heads/${branch}`);
  }

  /** Checks the change against `parent` (removals exist, no file/folder clash, artifacts present), then writes it. */
  private async writeCommit(
    parent: string,
    c: {
      files: Array<{ path: string; bytes: Buffer }>;
      remove: string[];
      metadata: ArtifactMetadata;
      message: string;
    },
  ): Promise<string> {
    const before = new Set(await this.listFiles(parent));
    for (const p of c.remove) {
      if (!before.has(p)) {
        throw new ArtifactStoreError(
          'ARTIFACT_NOT_FOUND',
          `cannot remove ${JSON.stringify(p)}: parent commit ${parent} has no such file`,
          'remove only files listed by listFiles(parent)',
        );
      }
    }
    const after = new Set(before);
    c.remove.forEach((p) => after.delete(p));
    c.files.forEach((f) => after.add(f.path));
    checkNoFileFolderClash(after);
    const missing = c.metadata.artifacts.filter((p) => !after.has(p));
    if (missing.length > 0) {
      throw new ArtifactStoreError(
        'INVALID_ARTIFACT_METADATA',
        `provenance lists artifacts that the commit would not contain: ${missing.join(', ')}`,
        'list only paths written in this commit (or leave artifacts empty to list the files)',
      );
    }
    const blobs = await this.writeBlobs(c.files.map((f) => f.bytes));
    const tree = await this.buildTree(
      parent,
      c.files.map((f, i) => ({ path: f.path, blob: blobs[i]! })),
      c.remove,
    );
    return this.commitTree(tree, [parent], c.message, gitDate(c.metadata.timestamp), this.author);
  }

  async finishTask(input: { runId: string; taskId: string; commit: string }): Promise<ArtifactRef> {
    const branch = taskBranch(input.runId, input.taskId);
    const tag = taskTag(input.runId, input.taskId);
    const commit = await this.resolveCommit(input.commit, 'final commit');
    await this.advance(branch, commit);
    await this.setRef(`refs/tags/${tag}`, commit);
    return { branch, commit, paths: await this.listFiles(commit) };
  }

  async integrate(input: {
    runId: string;
    refs: ArtifactRef[];
    /** Who asked for the run and decided its gates: `Requested-By:` and `Decided-By:` trailers. */
    signatures?: { act: string; name: string; credential_id: string }[];
  }): Promise<{ branch: string; commit: string; files: string[] }> {
    const branch = integrationBranch(input.runId);
    const refs = await this.resolveRefs(input.refs);
    const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');
    const people = (input.signatures ?? []).map((s) =>
      s.act === 'requested'
        ? `Requested-By: ${oneLine(s.name)} (${oneLine(s.credential_id)})`
        : `Decided-By: ${oneLine(s.act)} by ${oneLine(s.name)} (${oneLine(s.credential_id)})`,
    );
    const subject = `Integrate ${input.runId}: ${refs.length} task result${refs.length === 1 ? '' : 's'}`;
    let commit = await this.merge(refs, {
      subject,
      trailers: [`Workflow-Id: ${input.runId}`, ...people],
      into: branch,
    });
    if (people.length > 0 && refs.some((r) => r.commit === commit)) {
      // One line of history needs no merge commit, but the people must be on record: a commit of the
      // same tree on top, dated as its parent so a retried step makes the identical commit.
      const date = `@${(await this.git.text(['-c', 'log.showSignature=false', 'log', '-1', '--format=%ct', commit])).trim()} +0000`;
      const tree = (await this.revParse(`${commit}^{tree}`))!;
      const message = `${subject}\n\n${[`Workflow-Id: ${input.runId}`, ...people].join('\n')}\n`;
      commit = await this.commitTree(tree, [commit], message, date, this.author);
    }
    await this.setRef(`refs/heads/${branch}`, commit);
    return { branch, commit, files: await this.listFiles(commit) };
  }

  async readFile(commit: string, file: string): Promise<string> {
    checkPath(file, 'read');
    const c = await this.resolveCommit(commit, 'commit');
    const res = await this.git.run(['cat-file', 'blob', `${c}:${file}`], { okCodes: [0, 128] });
    if (res.code !== 0) {
      throw new ArtifactStoreError(
        'ARTIFACT_NOT_FOUND',
        `commit ${c} has no file ${JSON.stringify(file)}`,
        "list the commit's files with listFiles (or `devcrew artifacts <run>`)",
      );
    }
    return res.stdout.toString('utf8');
  }

  async listFiles(commit: string): Promise<string[]> {
    const c = await this.resolveCommit(commit, 'commit');
    const out = (await this.git.run(['ls-tree', '-r', '-z', '--name-only', c])).stdout.toString('utf8');
    return out.split('\0').filter((p) => p.length > 0);
  }

  async metadataOf(commit: string): Promise<ArtifactMetadata> {
    const c = await this.resolveCommit(commit, 'commit');
    return parseCommitMessage(c, await this.messageOf(c));
  }

  /**
   * Pushes a run's task branches, integration branch and tags to `target` (forced: they are the run's own
   * names, `ai/generated/{run_id}/*` and `workflow_{run_id}_*`), in one attempt.
   */
  async push(runId: string, target: GitRemote): Promise<string[]> {
    await this.syncRun(runId);
    const refs = await this.runRefs(runId);
    if (refs.length === 0) return [];
    try {
      await remoteGit(this.repoDir, this.gitDir, target).raw([
        'push',
        '--porcelain',
        target.url,
        ...refs.map((r) => `+${r}:${r}`),
      ]);
    } catch (err) {
      const text = gitErrorText(err, target);
      throw new ArtifactStoreError(
        'ARTIFACT_PUSH_FAILED',
        `git push of run ${runId} to ${target.url} failed, ${failureKind(text)}: ${text}`,
        'check the URL, that the repository accepts pushes and the credentials (DEVCREW_ARTIFACTS_PUSH_TOKEN or a git credential helper); the results stay in the local store',
      );
    }
    return refs;
  }

  /**
   * Publishes a finished run to the team's repository: `push` retried with a growing pause, and the outcome
   * returned (never thrown), so a refusing remote is reported on the run while the run's result stays.
   */
  async publish(
    runId: string,
    target: GitRemote,
    options: { attempts?: number; firstDelayMs?: number } = {},
  ): Promise<ArtifactPublish> {
    const attempts = options.attempts ?? 4;
    let delay = options.firstDelayMs ?? 1_000;
    let error = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const refs = await this.push(runId, target);
        return { url: target.url, status: 'pushed', refs, attempts: attempt };
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
      if (attempt < attempts) {
        await new Promise((r) => setTimeout(r, delay));
        delay *= 2;
      }
    }
    return { url: target.url, status: 'failed', refs: [], attempts, error };
  }

  /** Whether the store's Git server answers now, for `/readyz`; undefined when the store has none. */
  async serverCheck(): Promise<{ ok: boolean; detail: string } | undefined> {
    if (this.server === undefined) return undefined;
    const { config, env } = remoteSettings(this.server);
    const res = await this.git.run(
      [
        ...config.flatMap((c) => ['-c', c]),
        'ls-remote',
        '--heads',
        this.server.url,
        'refs/heads/devcrew/ready',
      ],
      { env, okCodes: [0, 1, 2, 128], timeoutMs: 5_000 },
    );
    if (res.code === 0) return { ok: true, detail: `${this.server.url} answers` };
    const text = gitErrorText(res.stderr, this.server);
    return { ok: false, detail: `${this.server.url}: ${failureKind(text)}: ${text}` };
  }

  /** A run's branches and the tags of its tasks, as full ref names. */
  private async runRefs(runId: string): Promise<string[]> {
    const prefix = `refs/heads/${runBranchPrefix(runId)}`;
    const refs = await this.forEachRef([prefix]);
    const tags: string[] = [];
    for (const ref of refs) {
      const name = ref.ref.slice(prefix.length);
      if (name === INTEGRATION_NAME) continue;
      const tag = `refs/tags/${taskTag(runId, name)}`;
      if ((await this.revParse(tag)) !== undefined) tags.push(tag);
    }
    return [...refs.map((r) => r.ref), ...tags];
  }

  /** A run's branches, tags, task commits and files. */
  async describeRun(runId: string): Promise<RunArtifacts> {
    await this.syncRun(runId);
    const prefix = `refs/heads/${runBranchPrefix(runId)}`;
    const refs = await this.forEachRef([prefix]);
    if (refs.length === 0) {
      throw new ArtifactStoreError(
        'ARTIFACT_NOT_FOUND',
        `no branches ${runBranchPrefix(runId)}* in ${this.repoDir}`,
        'check the run id (the Temporal workflow id) and the repository (DEVCREW_STATE_DIR or --repo)',
      );
    }
    const result: RunArtifacts = {
      run_id: runId,
      repository: this.repoDir,
      integration: null,
      tasks: [],
    };
    for (const { ref, sha } of refs) {
      const name = ref.slice(prefix.length);
      const branch = ref.slice('refs/heads/'.length);
      if (name === INTEGRATION_NAME) {
        result.integration = { branch, commit: sha, files: await this.listFiles(sha) };
        continue;
      }
      const tagName = taskTag(runId, name);
      const tagCommit = await this.revParse(`refs/tags/${tagName}^{commit}`);
      result.tasks.push({
        task_id: name,
        branch,
        head: sha,
        tag: tagCommit === undefined ? null : { name: tagName, commit: tagCommit },
        commits: await this.taskCommits(sha, runId, name),
        files: await this.listFiles(sha),
      });
    }
    return result;
  }

  /** Writes every file of `commit` under `dir` (which it creates). */
  async exportTo(commit: string, dir: string): Promise<string[]> {
    const c = await this.resolveCommit(commit, 'commit');
    const files = await this.listFiles(c);
    const root = path.resolve(dir);
    await fs.mkdir(root, { recursive: true });
    for (const { path: file, content } of await this.readBlobs(c, files)) {
      const target = path.resolve(root, file);
      if (!target.startsWith(root + path.sep)) continue;
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, content);
    }
    return files;
  }

  /** Several files of one commit in one git process (`cat-file --batch`); missing paths are skipped. */
  async readFiles(commit: string, paths: string[]): Promise<{ path: string; content: string }[]> {
    paths.forEach((p) => checkPath(p, 'read'));
    const c = await this.resolveCommit(commit, 'commit');
    return (await this.readBlobs(c, paths)).map((f) => ({
      path: f.path,
      content: f.content.toString('utf8'),
    }));
  }

  private async readBlobs(commit: string, paths: string[]): Promise<{ path: string; content: Buffer }[]> {
    if (paths.length === 0) return [];
    const out = (
      await this.git.run(['cat-file', '--batch'], { input: paths.map((f) => `${commit}:${f}\n`).join('') })
    ).stdout;
    const blobs: { path: string; content: Buffer }[] = [];
    let at = 0;
    for (const file of paths) {
      const eol = out.indexOf(0x0a, at);
      const header = out.subarray(at, eol).toString('utf8').split(' ');
      if (header[1] === 'missing') {
        at = eol + 1;
        continue;
      }
      const size = Number(header[2]);
      const content = out.subarray(eol + 1, eol + 1 + size);
      at = eol + 1 + size + 1;
      if (header[1] === 'blob') blobs.push({ path: file, content }); // trees from other tools are skipped
    }
    return blobs;
  }

  // ---- plumbing ----

  private simpleGit(): SimpleGit {
    return simpleGit({ baseDir: this.repoDir }).env({
      ...cleanGitEnv(),
      GIT_DIR: this.gitDir,
      GIT_TERMINAL_PROMPT: '0',
    });
  }

  private async revParse(rev: string): Promise<string | undefined> {
    const res = await this.git.run(['rev-parse', '--verify', '--quiet', rev], { okCodes: [0, 1, 128] });
    const sha = res.stdout.toString('utf8').trim();
    return res.code === 0 && SHA.test(sha) ? sha : undefined;
  }

  private async head(branch: string): Promise<string | undefined> {
    return this.current(`refs/heads/${branch}`);
  }

  /** Where `ref` points now: on the server when the store has one (fetched, so its objects are here), else here. */
  private async current(ref: string): Promise<string | undefined> {
    if (this.server === undefined) return this.revParse(ref);
    const found = await this.fetchFromServer([`+${ref}:${ref}`], /couldn't find remote ref/i);
    return found ? this.revParse(ref) : undefined;
  }

  /** A run's branches and tags from the server into this host's cache (reads of a whole run). */
  private async syncRun(runId: string): Promise<void> {
    if (this.server === undefined) return;
    const heads = `refs/heads/${runBranchPrefix(runId)}*`;
    const tags = `refs/tags/${taskTag(runId, 'x').slice(0, -1)}*`;
    await this.fetchFromServer([`+${heads}:${heads}`, `+${tags}:${tags}`]);
  }

  /**
   * `git fetch <server> refspecs...`: true when fetched, false when the server answered that it has no such
   * ref or object (`missing`), waiting out an unreachable server for up to serverWaitMs.
   */
  private async fetchFromServer(refspecs: string[], missing?: RegExp): Promise<boolean> {
    const res = await this.onServer([
      'fetch',
      '--no-tags',
      '--no-write-fetch-head',
      '--quiet',
      '<server>',
      ...refspecs,
    ]);
    if (res.code === 0) return true;
    const text = res.stderr.trim();
    if (missing?.test(text)) return false;
    throw this.serverError(`git fetch ${refspecs.join(' ')}`, text);
  }

  /** Moves `ref` on the server from `old` (undefined: must not exist) to `commit`; false when it moved meanwhile. */
  private async serverSwap(ref: string, commit: string, old: string | undefined): Promise<boolean> {
    const res = await this.onServer([
      'push',
      '--porcelain',
      '--no-verify',
      `--force-with-lease=${ref}:${old ?? ''}`,
      '<server>',
      `${commit}:${ref}`,
    ]);
    const text = `${res.stdout.toString('utf8')}\n${res.stderr}`.trim();
    if (res.code === 0) {
      // The server took it (or already had it): the cache follows.
      await this.git.run(['update-ref', '-m', 'devcrew artifact store (as on the server)', ref, commit]);
      return true;
    }
    // Another writer won: it moved the ref first (stale lease), or held its lock on the server right then.
    if (
      /\[rejected\]|stale info|fetch first|non-fast-forward|already exists/i.test(text) ||
      /\[remote rejected\].*(lock|failed to update ref)/i.test(text)
    )
      return false;
    throw this.serverError(`git push ${commit}:${ref}`, text);
  }

  /** One network git command against the server (`<server>` in `args` is its URL), repeated while it cannot be reached. */
  private async onServer(args: string[]): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
    const server = this.server!;
    const { config, env } = remoteSettings(server);
    const full = [
      ...config.flatMap((c) => ['-c', c]),
      ...args.map((a) => (a === '<server>' ? server.url : a)),
    ];
    const deadline = Date.now() + this.serverWaitMs;
    let pause = 250;
    for (;;) {
      const res = await this.git.run(full, { env, okCodes: [0, 1, 128], timeoutMs: 60_000 });
      if (res.code === 0 || !isTransient(gitErrorText(res.stderr, server)) || Date.now() >= deadline)
        return res;
      await new Promise((r) => setTimeout(r, pause));
      pause = Math.min(pause * 2, 4_000);
    }
  }

  private serverError(what: string, text: string): ArtifactStoreError {
    const said = gitErrorText(text, this.server!);
    return new ArtifactStoreError(
      'ARTIFACT_STORE_UNAVAILABLE',
      `${what} on the artifact server ${this.server!.url} failed, ${failureKind(said)}: ${said}`,
      'check that the Git server runs (devcrew git-server) and DEVCREW_ARTIFACTS_SERVER_URL and its token; the step is retried',
    );
  }

  private async resolveCommit(commit: string, what: string): Promise<string> {
    let sha = /^[0-9a-fA-F]{4,40}$/.test(commit) ? await this.revParse(`${commit}^{commit}`) : undefined;
    if (sha === undefined && this.server !== undefined && SHA.test(commit.toLowerCase())) {
      // Made on another host: its objects come from the server (the step that made it pushed them).
      await this.fetchFromServer([commit.toLowerCase()], /not our ref|no such remote ref|not found/i);
      sha = await this.revParse(`${commit}^{commit}`);
    }
    if (sha === undefined) {
      throw new ArtifactStoreError(
        'ARTIFACT_NOT_FOUND',
        `${what} ${JSON.stringify(commit)} is not a commit in ${this.repoDir}`,
        'pass a commit SHA returned by this store (workflows carry ArtifactRefs, not content)',
      );
    }
    return sha;
  }

  private async resolveRefs(refs: ArtifactRef[]): Promise<Array<{ branch: string; commit: string }>> {
    return Promise.all(
      refs.map(async (r) => ({
        branch: r.branch,
        commit: await this.resolveCommit(r.commit, `commit of ${r.branch}`),
      })),
    );
  }

  private async forEachRef(patterns: string[]): Promise<Array<{ ref: string; sha: string }>> {
    const out = await this.git.text(['for-each-ref', '--format=%(refname) %(objectname)', ...patterns]);
    return out
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => {
        const [ref = '', sha = ''] = l.split(' ');
        return { ref, sha };
      });
  }

  private async messageOf(commit: string): Promise<string> {
    const raw = (await this.git.run(['cat-file', 'commit', commit])).stdout.toString('utf8');
    const blank = raw.indexOf('\n\n');
    return blank === -1 ? '' : raw.slice(blank + 2);
  }

  private emptyRoot(): Promise<string> {
    this.root ??= (async () => {
      const tree = await this.git.text(['mktree'], { input: '' });
      return this.commitTree(tree, [], ROOT_MESSAGE, ROOT_DATE, ROOT_IDENTITY);
    })();
    return this.root;
  }

  private async writeBlobs(contents: Buffer[]): Promise<string[]> {
    if (contents.length === 0) return [];
    const dir = await this.tempDir();
    try {
      const files = await Promise.all(
        contents.map(async (c, i) => {
          const file = path.join(dir, String(i));
          await fs.writeFile(file, c);
          return file;
        }),
      );
      const out = await this.git.text(['hash-object', '-w', '--no-filters', '--stdin-paths'], {
        input: files.join('\n') + '\n',
      });
      return out.split('\n');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  /** The parent's tree with `remove` deleted and `add` written, built in a private index file. */
  private async buildTree(
    parent: string,
    add: Array<{ path: string; blob: string }>,
    remove: string[],
  ): Promise<string> {
    const dir = await this.tempDir();
    const env = { GIT_INDEX_FILE: path.join(dir, 'index') };
    try {
      await this.git.run(['read-tree', parent], { env });
      const lines = [
        ...remove.map((p) => `0 ${ZERO}\t${p}\0`),
        ...add.map((f) => `100644 blob ${f.blob}\t${f.path}\0`),
      ];
      if (lines.length > 0)
        await this.git.run(['update-index', '-z', '--index-info'], { env, input: lines.join('') });
      return await this.git.text(['write-tree'], { env });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  private async tempDir(): Promise<string> {
    const dir = path.join(this.gitDir, 'devcrew-tmp', randomUUID());
    await fs.mkdir(dir, { recursive: true });
    return dir;
  }

  private async commitTree(
    tree: string,
    parents: string[],
    message: string,
    date: string,
    who: Identity,
  ): Promise<string> {
    return this.git.text(
      ['commit-tree', '--no-gpg-sign', tree, ...parents.flatMap((p) => ['-p', p]), '-F', '-'],
      {
        input: message,
        env: {
          GIT_AUTHOR_NAME: who.name,
          GIT_AUTHOR_EMAIL: who.email,
          GIT_AUTHOR_DATE: date,
          GIT_COMMITTER_NAME: who.name,
          GIT_COMMITTER_EMAIL: who.email,
          GIT_COMMITTER_DATE: date,
        },
      },
    );
  }

  /**
   * Merges commits (dependency results or a run's task results) into one: nothing to merge gives the empty
   * root, one independent commit is returned as is, more give a merge commit with all of them as parents,
   * dated by the newest of them so a retry makes the same SHA.
   */
  private async merge(
    refs: Array<{ branch: string; commit: string }>,
    how: { subject: string; trailers: string[]; into: string },
  ): Promise<string> {
    if (refs.length === 0) return this.emptyRoot();
    const independent = new Set(
      (await this.git.text(['merge-base', '--independent', ...refs.map((r) => r.commit)])).split('\n'),
    );
    const tips: Array<{ branch: string; commit: string }> = [];
    for (const r of refs) {
      if (independent.has(r.commit) && !tips.some((t) => t.commit === r.commit)) tips.push(r);
    }
    const [first, ...rest] = tips;
    if (first === undefined) return this.emptyRoot();
    if (rest.length === 0) return first.commit;

    const dates = await this.git.text([
      '-c',
      'log.showSignature=false',
      'log',
      '--no-walk=unsorted',
      '--format=%ct',
      ...tips.map((t) => t.commit),
    ]);
    const date = `@${Math.max(...dates.split('\n').map(Number))} +0000`;
    let acc = first.commit;
    let tree = '';
    const merged = [first.branch];
    for (const [i, next] of rest.entries()) {
      const res = await this.git.run(
        ['merge-tree', '--write-tree', '--name-only', '--allow-unrelated-histories', acc, next.commit],
        { okCodes: [0, 1] },
      );
      const [treeLine = '', ...lines] = res.stdout.toString('utf8').split('\n');
      if (res.code === 1) {
        const blank = lines.indexOf('');
        const files = [...new Set(lines.slice(0, blank === -1 ? undefined : blank))];
        const messages = blank === -1 ? [] : lines.slice(blank + 1).filter((l) => l.startsWith('CONFLICT'));
        throw new ArtifactStoreError(
          'ARTIFACT_CONFLICT',
          `merging ${next.branch} into ${merged.join(' + ')} for ${how.into} conflicts in ${files.join(', ')}` +
            (messages.length > 0 ? ` (${messages.join('; ')})` : ''),
          'the tasks wrote the same files differently; make one task depend on the other or give them separate files',
          { files, branches: [...merged, next.branch] },
        );
      }
      tree = treeLine.trim();
      merged.push(next.branch);
      if (i < rest.length - 1)
        acc = await this.commitTree(tree, [acc, next.commit], 'devcrew: partial merge\n', date, this.author);
    }
    const message = `${how.subject}\n\n${tips
      .map((t) => `Merged-Branch: ${t.branch}`)
      .concat(how.trailers)
      .join('\n')}\n`;
    return this.commitTree(
      tree,
      tips.map((t) => t.commit),
      message,
      date,
      this.author,
    );
  }

  /**
   * Moves a task branch to `commit` unless it already holds it: a retried step finds its commit at (or
   * behind) the head and changes nothing. A different output from a retry replaces the crashed attempt's
   * (the old commit stays in the reflog). Compare-and-swap on the old value, so concurrent writers never
   * lose an update silently.
   */
  private async advance(branch: string, commit: string): Promise<void> {
    const ref = `refs/heads/${branch}`;
    for (let attempt = 0; attempt < 20; attempt++) {
      const head = await this.current(ref);
      if (head === commit) return;
      if (head !== undefined && (await this.isAncestor(commit, head))) return;
      if (await this.compareAndSwap(ref, commit, head)) return;
    }
    throw this.raceError(ref);
  }

  /** Points `ref` exactly at `commit` (tags, the integration branch), with compare-and-swap. */
  private async setRef(ref: string, commit: string): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const current = await this.current(ref);
      if (current === commit) return;
      if (await this.compareAndSwap(ref, commit, current)) return;
    }
    throw this.raceError(ref);
  }

  private async compareAndSwap(ref: string, commit: string, old: string | undefined): Promise<boolean> {
    if (this.server !== undefined) return this.serverSwap(ref, commit, old);
    const res = await this.git.run(['update-ref', '-m', 'devcrew artifact store', ref, commit, old ?? ZERO], {
      okCodes: [0, 1, 128],
    });
    return res.code === 0;
  }

  private raceError(ref: string): ArtifactStoreError {
    return new ArtifactStoreError(
      'ARTIFACT_STORE_UNAVAILABLE',
      `${ref} kept changing under 20 attempts to update it`,
      'another process writes the same branch in a loop; one task branch should have one writer',
    );
  }

  private async isAncestor(a: string, b: string): Promise<boolean> {
    return (await this.git.run(['merge-base', '--is-ancestor', a, b], { okCodes: [0, 1] })).code === 0;
  }

  /** The task's own commits from `head` back along first parents, stopping at the first one that is not. */
  private async taskCommits(head: string, runId: string, taskId: string): Promise<TaskCommit[]> {
    const out = await this.git.text([
      '-c',
      'log.showSignature=false',
      'log',
      '--first-parent',
      '-n',
      '500',
      '--format=%H%x1f%B%x1e',
      head,
    ]);
    const commits: TaskCommit[] = [];
    for (const record of out.split('\x1e')) {
      const [sha = '', message = ''] = record.replace(/^\n/, '').split('\x1f');
      if (!SHA.test(sha)) continue;
      let metadata: ArtifactMetadata;
      try {
        metadata = parseCommitMessage(sha, message);
      } catch {
        break;
      }
      if (metadata.workflow_id !== runId || metadata.task_id !== taskId) break;
      commits.push({ commit: sha, subject: message.split('\n')[0] ?? '', metadata });
    }
    return commits;
  }
}

/** Git's `@seconds +0000` for an ISO timestamp (sub-second digits dropped). */
function gitDate(iso: string): string {
  return `@${Math.floor(Date.parse(iso) / 1000)} +0000`;
}
