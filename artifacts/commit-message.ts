import { ArtifactMetadata, zodErrorText } from '../contracts';
import { ArtifactStoreError } from './errors';

/**
 * The provenance of a commit, written twice in its message: a fenced JSON block with exactly the
 * ArtifactMetadata fields (what `metadataOf` reads back and checks), and Git trailers for people and
 * `git log --format=%(trailers)` / `git interpret-trailers --parse`.
 *
 *     coder: SMA crossover strategy
 *
 *     ```json
 *     { "workflow_id": "...", ..., "artifacts": ["codes/sma.py"] }
 *     ```
 *
 *     Workflow-Id: ...
 *     Artifact: codes/sma.py
 */

const TRAILER_KEYS: Record<Exclude<keyof ArtifactMetadata, 'artifacts'>, string> = {
  workflow_id: 'Workflow-Id',
  task_id: 'Task-Id',
  correlation_id: 'Correlation-Id',
  agent_role: 'Agent-Role',
  agent_version: 'Agent-Version',
  prompt_hash: 'Prompt-Hash',
  model_name: 'Model-Name',
  timestamp: 'Timestamp',
};

/** Checks metadata against the contract; every value must fit on one line to be a trailer. */
export function checkMetadata(value: unknown): ArtifactMetadata {
  const parsed = ArtifactMetadata.safeParse(value);
  if (!parsed.success) {
    throw new ArtifactStoreError(
      'INVALID_ARTIFACT_METADATA',
      `provenance does not match ArtifactMetadata:\n${zodErrorText(parsed.error)}`,
      'fill every field of contracts/artifact-metadata.ts',
    );
  }
  const m = parsed.data;
  for (const [key, v] of Object.entries(m)) {
    for (const s of Array.isArray(v) ? v : [v]) {
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u001f\u007f]/.test(s) || s !== s.trim()) {
        throw new ArtifactStoreError(
          'INVALID_ARTIFACT_METADATA',
          `provenance field ${key} ${JSON.stringify(s)} has a line break, control character or outer spaces`,
          'give single-line values',
        );
      }
    }
  }
  return m;
}

export function checkSubject(subject: string): void {
  // eslint-disable-next-line no-control-regex
  if (subject.trim().length === 0 || subject.length > 200 || /[\u0000-\u001f\u007f]/.test(subject)) {
    throw new ArtifactStoreError(
      'INVALID_ARTIFACT_METADATA',
      `commit subject ${JSON.stringify(subject.slice(0, 80))} is empty, longer than 200 characters or not one line`,
      'give a one-line subject such as "coder: SMA crossover strategy"',
    );
  }
}

/** The message `commit()` writes: subject, JSON block, trailers. */
export function formatCommitMessage(subject: string, m: ArtifactMetadata): string {
  const ordered: ArtifactMetadata = {
    workflow_id: m.workflow_id,
    task_id: m.task_id,
    correlation_id: m.correlation_id,
    agent_role: m.agent_role,
    agent_version: m.agent_version,
    prompt_hash: m.prompt_hash,
    model_name: m.model_name,
    timestamp: m.timestamp,
    artifacts: m.artifacts,
  };
  const trailers = [
    ...Object.entries(TRAILER_KEYS).map(([field, key]) => `${key}: ${m[field as keyof typeof TRAILER_KEYS]}`),
    ...m.artifacts.map((p) => `Artifact: ${p}`),
  ];
  return `${subject.trim()}\n\n\`\`\`json\n${JSON.stringify(ordered, null, 2)}\n\`\`\`\n\n${trailers.join('\n')}\n`;
}

/** The provenance block of a commit message, checked against the contract; `commit` is for the errors. */
export function parseCommitMessage(commit: string, message: string): ArtifactMetadata {
  const lines = message.split('\n');
  const start = lines.indexOf('```json');
  const end = start === -1 ? -1 : lines.indexOf('```', start + 1);
  if (start === -1 || end === -1) {
    throw new ArtifactStoreError(
      'ARTIFACT_NOT_FOUND',
      `commit ${commit} has no provenance block (subject: ${JSON.stringify(lines[0] ?? '')})`,
      'merge and start commits made by prepareTask/integrate carry none; ask for a commit made by commit()',
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(lines.slice(start + 1, end).join('\n'));
  } catch (err) {
    throw new ArtifactStoreError(
      'INVALID_ARTIFACT_METADATA',
      `commit ${commit} has a provenance block that is not JSON: ${(err as Error).message}`,
      'the commit was not written by the artifact store, or its message was edited',
    );
  }
  try {
    return checkMetadata(json);
  } catch (err) {
    if (err instanceof ArtifactStoreError) {
      throw new ArtifactStoreError(
        err.code,
        `commit ${commit}: ${err.evidence}`,
        'the commit was not written by the artifact store, or its message was edited',
      );
    }
    throw err;
  }
}
