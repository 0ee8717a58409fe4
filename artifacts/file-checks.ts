import { ArtifactStoreError } from './errors';

/** 1 MiB: far above any source file an agent should write, far below what would bloat the repository. */
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

/** Environment variables whose values must never reach a commit. */
export const SECRET_VARIABLES = [
  'GEMINI_API_KEY',
  'OPENAI_API_KEY',
  'DEVCREW_API_TOKEN',
  'DEVCREW_ARTIFACTS_PUSH_TOKEN',
  'DEVCREW_ARTIFACTS_SERVER_TOKEN',
  'DEVCREW_GIT_SERVER_TOKEN',
] as const;

/** Values shorter than this are not searched for: a 3-letter token would match ordinary text. */
const MIN_SECRET_LENGTH = 8;

export interface Secret {
  variable: string;
  value: string;
}

/** Any provider's key (`<ID>_API_KEY`) is a secret too, without being listed. */
const isSecretVariable = (name: string) =>
  (SECRET_VARIABLES as readonly string[]).includes(name) || /^[A-Z][A-Z0-9]*_API_KEY$/.test(name);

/** The secret values set in `env` (long enough to be searched for). */
export function secretsFrom(env: NodeJS.ProcessEnv = process.env): Secret[] {
  return Object.entries(env).flatMap(([variable, value]) =>
    isSecretVariable(variable) && value !== undefined && value.length >= MIN_SECRET_LENGTH
      ? [{ variable, value }]
      : [],
  );
}

/**
 * Checks a path given by an agent: relative, POSIX, inside the tree. Refused: absolute paths (`/x`,
 * `C:\x`), backslashes, `.`/`..`/empty segments, a `.git` segment, control characters.
 */
export function checkPath(path: string, role: 'file' | 'remove' | 'read' | 'artifact'): void {
  const refuse = (why: string): never => {
    throw new ArtifactStoreError(
      'INVALID_ARTIFACT_PATH',
      `${role} path ${JSON.stringify(path)} ${why}`,
      'give a relative POSIX path inside the repository, e.g. "codes/strategy.py"',
    );
  };
  if (path.length === 0) refuse('is empty');
  if (path.length > 4096) refuse('is longer than 4096 characters');
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) refuse('is absolute');
  if (path.includes('\\')) refuse('contains a backslash');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) refuse('contains a control character');
  for (const segment of path.split('/')) {
    if (segment === '..') refuse('escapes the tree with ".."');
    if (segment === '' || segment === '.') refuse('has an empty or "." segment');
    if (segment.toLowerCase() === '.git') refuse('names a ".git" folder');
  }
}

/** Turns content into the bytes to store, refusing binary content and files over `maxBytes`. */
export function checkContent(path: string, content: string | Buffer, maxBytes: number): Buffer {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  if (bytes.length > maxBytes) {
    throw new ArtifactStoreError(
      'ARTIFACT_TOO_LARGE',
      `file ${JSON.stringify(path)} is ${bytes.length} bytes (limit ${maxBytes})`,
      "split the file, or raise the store's maxFileBytes if such files are expected",
    );
  }
  const nul = bytes.indexOf(0);
  if (nul !== -1) {
    throw new ArtifactStoreError(
      'ARTIFACT_NOT_TEXT',
      `file ${JSON.stringify(path)} has a NUL byte at offset ${nul}`,
      'the artifact store keeps text only; write source, tests and reports as UTF-8 text',
    );
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ArtifactStoreError(
      'ARTIFACT_NOT_TEXT',
      `file ${JSON.stringify(path)} is not valid UTF-8`,
      'the artifact store keeps text only; write source, tests and reports as UTF-8 text',
    );
  }
  return bytes;
}

/** Refuses `text` if it contains a secret's value; `where` says which file or field it came from. */
export function checkNoSecret(where: string, text: string | Buffer, secrets: readonly Secret[]): void {
  for (const s of secrets) {
    if (text.includes(s.value)) {
      throw new ArtifactStoreError(
        'ARTIFACT_CONTAINS_SECRET',
        `${where} contains the value of ${s.variable}`,
        'remove the key from the agent output; secrets must never be committed',
      );
    }
  }
}

/**
 * Refuses a set of final paths where one is the folder of another (`a` and `a/b`): Git trees cannot hold
 * both a file and a folder under one name.
 */
export function checkNoFileFolderClash(paths: Iterable<string>): void {
  const all = new Set(paths);
  for (const p of all) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join('/');
      if (all.has(folder)) {
        throw new ArtifactStoreError(
          'INVALID_ARTIFACT_PATH',
          `file ${JSON.stringify(p)} needs ${JSON.stringify(folder)} to be a folder, but it is a file`,
          `remove ${JSON.stringify(folder)} in the same commit or choose another path`,
        );
      }
    }
  }
}
