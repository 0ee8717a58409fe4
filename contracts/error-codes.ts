/**
 * Every error code devcrew shows, in one catalogue: what it means, whether trying again can help, and
 * the HTTP status it answers with. Activities turn codes into `ApplicationFailure.type`, the workflows'
 * retry policies read `retryable` from here, the HTTP API reads `http` (ARCHITECTURE.md, "Errors").
 * Pure data, so workflow code may import it.
 */
export interface ErrorCodeInfo {
  /** Whether Temporal should try the failed step again (a transient cause) or stop (nothing will change). */
  retryable: boolean;
  /** The HTTP status the API answers with when this error reaches it. */
  http: number;
  meaning: string;
}

const code = (retryable: boolean, http: number, meaning: string): ErrorCodeInfo => ({
  retryable,
  http,
  meaning,
});

export const ERROR_CODES = {
  // Input a person gave
  INVALID_CONFIG: code(false, 500, 'an environment variable or setting has a bad value'),
  INVALID_REQUEST: code(false, 400, 'a request body or query that does not match its contract'),
  BAD_REQUEST: code(
    false,
    400,
    'a request the HTTP layer refused before the API read it (e.g. an unknown encoding)',
  ),
  INVALID_JSON: code(false, 400, 'a request body that is not JSON'),
  BODY_TOO_LARGE: code(false, 413, 'a request body over the size limit'),
  HEADERS_TOO_LARGE: code(false, 431, 'a request line and headers over the size limit'),
  BAD_HTTP_REQUEST: code(false, 400, 'a request that is not valid HTTP'),
  INVALID_TODO_LIST: code(false, 400, 'a TodoList that does not pass its checks; nothing ran'),
  INVALID_DECISION: code(false, 400, 'a gate decision without a valid decision or approver'),
  UNAUTHORIZED: code(false, 401, 'a missing or wrong bearer token'),
  API_TOKEN_NOT_SET: code(false, 503, 'the API has no DEVCREW_API_TOKEN, so it refuses changes'),
  FORBIDDEN: code(false, 403, "the caller's role does not allow this action"),
  AUTH_RATE_LIMITED: code(true, 429, 'too many failed authentications from this client; wait Retry-After'),
  USER_EXISTS: code(false, 409, 'a user with this name has an active token already'),
  USER_NOT_FOUND: code(false, 404, 'no user with this name'),
  SELF_APPROVAL: code(false, 403, "the run's requester may not approve its gates (four eyes)"),
  DUPLICATE_APPROVAL: code(false, 409, 'this person approved the gate already; another person must'),
  NOT_FOUND: code(false, 404, 'no such route'),
  RUN_NOT_FOUND: code(false, 404, 'no run with this id'),
  GATE_NOT_FOUND: code(false, 404, 'the run has no gate with this id'),
  GATE_NOT_PENDING: code(false, 409, 'the gate was decided already, or the run has ended'),
  RUN_NOT_ENDED: code(false, 409, 'the run is still under way; rate it when it has ended'),
  WORKERS_UNAVAILABLE: code(true, 503, 'no worker answered in time; the change was not made'),
  // Models
  MODEL_RATE_LIMITED: code(true, 503, 'the model provider asked to slow down (429)'),
  MODEL_UNAVAILABLE: code(true, 503, 'the model provider failed or could not be reached'),
  MODEL_BAD_REQUEST: code(false, 502, 'the model provider refused the request or the key'),
  MODEL_NOT_FOUND: code(false, 502, 'the model provider does not serve the configured model (DEVCREW_MODEL)'),
  MODEL_RETRY_WINDOW_EXCEEDED: code(
    false,
    503,
    'the model provider kept failing for longer than DEVCREW_MODEL_RETRY_WINDOW_SECONDS',
  ),
  MODEL_SAFETY_BLOCK: code(false, 422, 'the model provider refused on safety grounds'),
  MODEL_ANSWER_RAN_AWAY: code(
    true,
    502,
    "a model's answer kept repeating itself or ran past its output cap, also when asked again shorter; the step is tried again, sampled with another seed",
  ),
  INVALID_AGENT_OUTPUT: code(false, 502, "a model's answer does not match the contract it was asked for"),
  BUDGET_EXCEEDED: code(false, 402, 'the run spent its budget and the extension was refused'),
  // Sandbox
  SANDBOX_BAD_INPUT: code(false, 400, 'a sandbox job with an unsafe path or bad limits'),
  SANDBOX_LIMITS_NOT_APPLIED: code(true, 503, 'a container came up without the limits it was asked for'),
  SANDBOX_ERROR: code(true, 503, 'the Docker engine failed to run a job'),
  SANDBOX_UNAVAILABLE: code(true, 503, 'no sandbox on this worker, or Docker does not answer'),
  SANDBOX_CANCELLED: code(false, 499, 'the job was cancelled'),
  SANDBOX_TIMEOUT: code(false, 504, 'a command ran past its time limit'),
  SANDBOX_OOM: code(false, 507, 'a command ran out of memory'),
  // Verdicts
  TESTS_FAILED: code(false, 422, 'acceptance tests still fail after the debugger rounds'),
  BUILD_FAILED: code(
    false,
    422,
    'lint, type or security errors left after the build-fix rounds (strict policy)',
  ),
  NO_TESTS: code(false, 422, 'a task with no test to run: nothing could pass'),
  // Artifact store
  ARTIFACT_CONFLICT: code(false, 409, 'merging results produced conflicting files'),
  INVALID_ARTIFACT_PATH: code(false, 400, 'a file path that is absolute, climbs out, or clashes'),
  ARTIFACT_TOO_LARGE: code(false, 413, 'a file over the store limit'),
  ARTIFACT_NOT_TEXT: code(false, 400, 'binary content where text is expected'),
  ARTIFACT_NOT_FOUND: code(false, 404, 'a commit, file, branch or run the repository does not have'),
  INVALID_ARTIFACT_METADATA: code(false, 400, 'provenance that does not match its contract'),
  INVALID_ARTIFACT_ID: code(false, 400, 'a run or task id that cannot name a Git branch'),
  ARTIFACT_CONTAINS_SECRET: code(false, 400, 'content holding the value of an API key or token'),
  ARTIFACT_PUSH_FAILED: code(true, 502, 'pushing to the configured remote failed'),
  ARTIFACT_STORE_UNAVAILABLE: code(true, 503, 'the repository is unusable or git failed'),
  // Machines
  PROVISION_FAILED: code(false, 500, 'a part devcrew runs on could not be installed or started'),
  INTERNAL: code(false, 500, 'an unexpected error; see the log'),
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/**
 * The ids an error is about, typed, so that a reader need not parse them out of the message. They
 * travel as the failure's first detail (`ApplicationFailure.details[0]`); structured evidence (problems,
 * findings), when there is any, is the second.
 */
export interface ErrorFields {
  run_id?: string;
  task_id?: string;
  gate_id?: string;
  /** The report that shows the failure, in the run's repository (e.g. `reports/t1/test_report.json`). */
  report_path?: string;
  /** The commit the report was written at. */
  commit?: string;
  /** A step waiting out its model provider: since when (ISO time) and for how long at most. */
  waiting_since?: string;
  window_seconds?: number;
}

/** The one place a message takes its code: `[CODE] evidence`. */
export function codedMessage(code: ErrorCode, evidence: string): string {
  return `[${code}] ${evidence}`;
}

/** The evidence of a message written by `codedMessage` (the message itself when it does not lead with the code). */
export function evidenceOf(message: string, code: ErrorCode): string {
  const prefix = codedMessage(code, '');
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}

/** The types a retry policy must not retry: every code the catalogue marks as not retryable. */
export const NON_RETRYABLE_ERROR_TYPES: string[] = Object.entries(ERROR_CODES)
  .filter(([, info]) => !info.retryable)
  .map(([name]) => name);
