import { simpleGit, type SimpleGit } from 'simple-git';
import { cleanGitEnv } from './git-process';

/**
 * A Git remote the store talks to: the team's repository a run is published to, or the Git server that is
 * the store's source of truth on several hosts. The URL never carries a password (core/config.ts refuses
 * one); credentials, when given, reach git through a credential helper that reads them from the git
 * process's own environment, so they appear in no command line, config file, log line or history.
 */
export interface GitRemote {
  url: string;
  credentials?: { username: string; password: string };
}

/** Environment names the inline credential helper reads (set only in the git child's environment). */
const USER_VAR = 'DEVCREW_GIT_CREDENTIAL_USERNAME';
const PASSWORD_VAR = 'DEVCREW_GIT_CREDENTIAL_PASSWORD';

/**
 * The helper answers git's `get` only; `store` and `erase` (after a success or a refusal) are ignored.
 * The values are expanded by the helper's shell from its environment, never written into the command.
 */
const HELPER = `!f() { test "$1" = get && printf 'username=%s\\npassword=%s\\n' "$${USER_VAR}" "$${PASSWORD_VAR}"; }; f`;

/** The `-c` settings and environment a network git command needs for `remote` (its credentials, if any). */
export function remoteSettings(remote: GitRemote): { config: string[]; env: Record<string, string> } {
  const config = ['protocol.version=2'];
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  if (remote.credentials) {
    env[USER_VAR] = remote.credentials.username;
    env[PASSWORD_VAR] = remote.credentials.password;
    // An empty value first clears the helpers of the user's own config: these credentials are the ones.
    config.push('credential.helper=', `credential.helper=${HELPER}`);
  }
  return { config, env };
}

/** simple-git for a push or fetch against `gitDir`, with the remote's credentials. */
export function remoteGit(repoDir: string, gitDir: string, remote: GitRemote): SimpleGit {
  const { config, env } = remoteSettings(remote);
  return simpleGit({
    baseDir: repoDir,
    config,
    unsafe: { allowUnsafeCredentialHelper: true },
    timeout: { block: 60_000 },
  }).env({ ...cleanGitEnv(), GIT_DIR: gitDir, ...env });
}

/** A git error's text with the remote's password (should git ever echo it) masked, trimmed to its point. */
export function gitErrorText(err: unknown, remote: GitRemote): string {
  let text = (err instanceof Error ? err.message : String(err)).trim();
  const secret = remote.credentials?.password;
  if (secret) text = text.split(secret).join('***');
  const lines = text.split('\n').filter((l) => l.trim().length > 0);
  return lines.slice(-6).join(' | ');
}

/** Whether a failed network command may well succeed soon: the remote unreachable, or a local ref locked by a concurrent step. */
export function isTransient(text: string): boolean {
  return /cannot lock ref|Unable to create .*\.lock|unable to access|Could not read from remote|Connection refused|Failed to connect|Couldn't connect|timed out|Connection reset|Empty reply|early EOF|The remote end hung up|unable to connect|Could not resolve host|HTTP 50[234]/i.test(
    text,
  );
}

/** What a failed network command means for a person, before git's own words. */
export function failureKind(text: string): string {
  if (/could not read (Username|Password)|terminal prompts disabled/i.test(text))
    return 'the remote asked for credentials and none are configured';
  if (/Authentication failed|HTTP 401|HTTP 403|Permission denied/i.test(text))
    return 'the remote refused the credentials';
  if (/hook declined|\[remote rejected\]|pre-receive/i.test(text)) return 'the remote rejected the push';
  if (/does not appear to be a git repository|repository '.*' not found|HTTP 404/i.test(text))
    return 'there is no repository at that URL';
  if (isTransient(text)) return 'the remote could not be reached';
  return 'git failed';
}
