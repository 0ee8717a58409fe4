import { DevcrewError } from '../core/errors';

/**
 * Why an artifact store call failed. Each code is stable: activities turn it into
 * `ApplicationFailure.type`, the HTTP API and the CLI show it.
 */
export const ARTIFACT_ERROR_CODES = {
  /** Merging dependency results (or a run's tasks) produced conflicting files. */
  ARTIFACT_CONFLICT: 'ARTIFACT_CONFLICT',
  /** A file path that is absolute, escapes the tree, names `.git`, repeats, or clashes with a folder. */
  INVALID_ARTIFACT_PATH: 'INVALID_ARTIFACT_PATH',
  /** A file over the store's `maxFileBytes`. */
  ARTIFACT_TOO_LARGE: 'ARTIFACT_TOO_LARGE',
  /** Binary content (a NUL byte or invalid UTF-8) where text is expected. */
  ARTIFACT_NOT_TEXT: 'ARTIFACT_NOT_TEXT',
  /** A commit, file, branch or run that the repository does not have. */
  ARTIFACT_NOT_FOUND: 'ARTIFACT_NOT_FOUND',
  /** Provenance (or a commit subject) that does not match the ArtifactMetadata contract. */
  INVALID_ARTIFACT_METADATA: 'INVALID_ARTIFACT_METADATA',
  /** A workflow or task id that cannot be part of a Git branch or tag name. */
  INVALID_ARTIFACT_ID: 'INVALID_ARTIFACT_ID',
  /** A file, subject or metadata value containing the value of an API key or token. */
  ARTIFACT_CONTAINS_SECRET: 'ARTIFACT_CONTAINS_SECRET',
  /** Pushing to the configured remote failed. */
  ARTIFACT_PUSH_FAILED: 'ARTIFACT_PUSH_FAILED',
  /** The repository directory is unusable, or git itself failed unexpectedly. */
  ARTIFACT_STORE_UNAVAILABLE: 'ARTIFACT_STORE_UNAVAILABLE',
} as const;
export type ArtifactErrorCode = keyof typeof ARTIFACT_ERROR_CODES;

/** An artifact store failure: `[CODE] evidence; hint`. Nothing was written when a call throws on bad input. */
export class ArtifactStoreError extends DevcrewError {
  override name = 'ArtifactStoreError';
  declare readonly code: ArtifactErrorCode;
  declare readonly hint: string;
  constructor(
    code: ArtifactErrorCode,
    evidence: string,
    hint: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(code, evidence, hint, { details });
  }
}

export function isArtifactStoreError(err: unknown, code?: ArtifactErrorCode): err is ArtifactStoreError {
  return err instanceof ArtifactStoreError && (code === undefined || err.code === code);
}
