import type { ArtifactMetadata, ArtifactPublish, ArtifactRef } from '../contracts';
import type { GitRemote } from './remote';

/**
 * The artifact store: every agent output is a commit on `ai/generated/{run_id}/{task_id}` whose
 * message carries its provenance. Only references (branch, commit, paths) leave it.
 */

export interface FileToCommit {
  /** Relative POSIX path; absolute paths, `..`, and files over the size limit are refused. */
  path: string;
  content: string | Buffer;
}

export interface CommitInput {
  /** Provenance; `artifacts` is filled from `files` when left empty. */
  metadata: Omit<ArtifactMetadata, 'artifacts'> & { artifacts?: string[] };
  /** The commit to build on (a dependency merge or an earlier step); the task branch's head when omitted. */
  parent?: string;
  files: FileToCommit[];
  /** Paths to delete in this commit. */
  remove?: string[];
  /** First line of the commit message. */
  subject: string;
}

export interface ArtifactStore {
  /** Merges the dependencies' commits into the start of a task branch (or an empty root). */
  prepareTask(input: { runId: string; taskId: string; dependencies: ArtifactRef[] }): Promise<ArtifactRef>;
  /** One agent output, one commit. Idempotent: the same input returns the earlier commit. */
  commit(input: CommitInput): Promise<ArtifactRef>;
  /** Tags a task's final commit `workflow_{run_id}_{task_id}`. */
  finishTask(input: { runId: string; taskId: string; commit: string }): Promise<ArtifactRef>;
  /** Merges every task's result into `ai/generated/{run_id}`. */
  integrate(input: {
    runId: string;
    refs: ArtifactRef[];
  }): Promise<{ branch: string; commit: string; files: string[] }>;
  /** Pushes a run's branches and tags to `target`, retried; the outcome is returned, never thrown. */
  publish?(runId: string, target: GitRemote): Promise<ArtifactPublish>;
  readFile(commit: string, path: string): Promise<string>;
  /** Several files of one commit at once (one git process); paths the commit lacks are left out. */
  readFiles(commit: string, paths: string[]): Promise<{ path: string; content: string }[]>;
  listFiles(commit: string): Promise<string[]>;
  /** The provenance stored in a commit's message. */
  metadataOf(commit: string): Promise<ArtifactMetadata>;
}
