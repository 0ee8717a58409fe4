import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ModelProvider, zodErrorText, type AutoRollback, type GatePolicy } from '../contracts';
import { ConfigError } from './errors';

export { ConfigError } from './errors';

const Port = z.coerce.number().int().min(1).max(65_535);
const Url = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

/**
 * A Git remote: an http(s), ssh or git URL, `user@host:path`, or a local path. A password or token in it
 * is refused: it would be written into every history that carries the URL.
 */
const GitUrl = z
  .string()
  .min(1)
  .refine((u) => !hasPassword(u), {
    message:
      'holds a password or token; give the URL without it and set the matching *_TOKEN variable or a git credential helper',
  });

function hasPassword(url: string): boolean {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return false;
  try {
    return new URL(url).password !== '';
  } catch {
    return false;
  }
}

/** Every environment variable devcrew reads, checked once. Temporal's own use Temporal's names. */
const Env = z.object({
  DEVCREW_STATE_DIR: z.string().min(1).default('.devcrew'),
  DEVCREW_CACHE_DIR: z.string().min(1).optional(),
  DEVCREW_API_PORT: Port.default(3000),
  /** Where the API listens: loopback unless a container or a load balancer needs 0.0.0.0. */
  DEVCREW_API_HOST: z.string().min(1).default('127.0.0.1'),
  DEVCREW_TEMPORAL_PORT: Port.default(7233),
  DEVCREW_UI_PORT: Port.default(8233),
  DEVCREW_SANDBOX_IMAGE_PULL: z.enum(['auto', 'never']).default('auto'),
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:/]+:\d+$/, 'expected host:port, e.g. "localhost:7233"')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** A prefix for the task queues and the rollout's id, so deployments can share a namespace. */
  DEVCREW_TASK_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]*$/, 'letters, digits, "_", "-" and "." only')
    .default(''),
  /** The sandbox's caps, whatever a plan asks (sandbox/docker-sandbox.ts): a command's time, a job's memory. */
  DEVCREW_SANDBOX_MAX_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  DEVCREW_SANDBOX_MAX_MEMORY_MB: z.coerce.number().int().min(64).max(1_048_576).default(2048),
  /** Testing only: `activity=ms,...`, a delay after those activities' work (activities/deps.ts). */
  DEVCREW_FAULT_STEP_DELAYS: z
    .string()
    .regex(/^\w+=\d+(,\w+=\d+)*$/, 'expected activity=milliseconds pairs, e.g. "integrate=3000,plan=2000"')
    .optional(),
  /** Auto-rollback settings of a rollout created now (later changes go through PUT /v1/rollout). */
  DEVCREW_ROLLOUT_FAILURE_THRESHOLD: z.coerce.number().min(0).max(1).default(0.2),
  DEVCREW_ROLLOUT_MIN_RUNS: z.coerce.number().int().min(1).default(5),
  DEVCREW_ROLLOUT_WINDOW_HOURS: z.coerce.number().positive().default(24),
  DEVCREW_ROLLOUT_CHECK_SECONDS: z.coerce.number().int().min(1).default(60),
  /**
   * Where a worker process serves Prometheus metrics (the Temporal SDK's runtime: its own metrics and
   * devcrew's, contracts/metrics.ts): a port, or "off". Bound to DEVCREW_METRICS_HOST.
   */
  DEVCREW_METRICS_PORT: z
    .union([z.literal('off'), Port])
    .default(9464)
    .describe('a port, or "off"'),
  DEVCREW_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** The workers' log level (the Temporal SDK's logger); WARN shows problems, not every state change. */
  DEVCREW_LOG_LEVEL: z
    .preprocess(
      (v) => (typeof v === 'string' ? v.toUpperCase() : v),
      z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'], {
        error: 'expected TRACE, DEBUG, INFO, WARN or ERROR',
      }),
    )
    .default('WARN'),
  /** A Chromium for the Web UI and dashboard checks, instead of one on PATH or Debian's package. */
  CHROMIUM_PATH: z.string().min(1).optional(),
  /** The Debian mirror the offline sandbox image is built from (debootstrap), instead of the one apt uses. */
  DEVCREW_DEBIAN_MIRROR: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  /** `devcrew run` / `devcrew up "<request>"` in a terminal ask for a rating at the end; "off" never asks. */
  DEVCREW_RATING_PROMPT: z.enum(['on', 'off']).default('on').describe('on or off'),
  /** The embedded Temporal dev server's own metrics (`--metrics-port`; 0: any free port). */
  DEVCREW_TEMPORAL_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(9465),
  /** `devcrew up --monitoring`: where Prometheus and Alertmanager listen. */
  DEVCREW_PROMETHEUS_PORT: Port.default(9090),
  DEVCREW_ALERTMANAGER_PORT: Port.default(9093),
  /** `devcrew up --temporal postgres`: PostgreSQL's port, and the first of the 10 ports the Temporal
   * server's internal services use (history, matching, worker, membership, HTTP, metrics). */
  DEVCREW_POSTGRES_PORT: Port.default(5433),
  // The server stores membership ports in a PostgreSQL smallint: every one must be below 32768.
  DEVCREW_TEMPORAL_INTERNAL_PORT_BASE: z.coerce
    .number()
    .int()
    .min(1)
    .max(32_758, 'the Temporal server keeps its ports in a smallint: base + 9 must stay below 32768')
    .default(7300),
  /** The spend alert's line: model spend over any 24 hours above this fires DevcrewSpendOverDailyBudget. */
  DEVCREW_DAILY_BUDGET_USD: z.coerce.number().positive().default(20),
  /**
   * Where a finished run's integration branch and tags are published (the team's repository): a URL or a
   * path. Credentials never go in it: they come from DEVCREW_ARTIFACTS_PUSH_USERNAME/_TOKEN or git's own
   * credential helper, so they stay out of workflow histories, logs and commits.
   */
  DEVCREW_ARTIFACTS_PUSH_URL: GitUrl.optional(),
  DEVCREW_ARTIFACTS_PUSH_USERNAME: z.string().min(1).optional(),
  DEVCREW_ARTIFACTS_PUSH_TOKEN: z.string().min(1).optional(),
  /**
   * The Git server that is the artifact store's source of truth when workers run on several hosts: each
   * host keeps `<state dir>/artifacts` as a cache, fetches what a step needs and pushes what it commits.
   * Unset: the local repository is the store (one host, or a shared disk).
   */
  DEVCREW_ARTIFACTS_SERVER_URL: GitUrl.optional(),
  DEVCREW_ARTIFACTS_SERVER_USERNAME: z.string().min(1).optional(),
  DEVCREW_ARTIFACTS_SERVER_TOKEN: z.string().min(1).optional(),
  /** `devcrew git-server` (and `devcrew up --temporal postgres`): where devcrew's own Git server listens. */
  DEVCREW_GIT_SERVER_PORT: Port.default(8418),
  DEVCREW_GIT_SERVER_HOST: z.string().min(1).default('127.0.0.1'),
  /** The token pushes to devcrew's Git server must present (HTTP basic auth, any user name); unset: reads
   * and pushes from loopback only need none. */
  DEVCREW_GIT_SERVER_TOKEN: z.string().min(8, 'use at least 8 characters').optional(),
  XDG_CACHE_HOME: z.string().min(1).optional(),
  /** The admin bootstrap credential of the API (and of the CLI, where no per-person token is given). */
  DEVCREW_API_TOKEN: z.string().min(16, 'use a long random string (16 characters or more)').optional(),
  /** The CLI's credential: a token from `devcrew users add`, or an identity provider's JWT. */
  DEVCREW_TOKEN: z.string().min(1).optional(),
  /** OIDC/JWT bearer tokens: the provider's JWKS, the issuer and audience a token must name. */
  DEVCREW_OIDC_JWKS_URL: Url.optional(),
  DEVCREW_OIDC_ISSUER: z.string().min(1).optional(),
  DEVCREW_OIDC_AUDIENCE: z.string().min(1).optional(),
  /** The claim holding the devcrew role (a string, or an array of which the strongest counts). */
  DEVCREW_OIDC_ROLE_CLAIM: z.string().min(1).default('devcrew_role'),
  /** The claim naming the person (falls back to `sub`). */
  DEVCREW_OIDC_NAME_CLAIM: z.string().min(1).default('preferred_username'),
  /** Gate policy of runs started now: the requester may not approve (on), and distinct approvals needed. */
  DEVCREW_GATE_FOUR_EYES: z.enum(['on', 'off']).default('on'),
  DEVCREW_GATE_APPROVALS: z.coerce.number().int().min(1).max(10).default(1),
  /** Failed authentications a client may make per minute before it gets 429. */
  DEVCREW_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(20),
});
export type Env = z.infer<typeof Env>;

/** Reads and checks the environment; the error names each variable and what it expects. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = Env.safeParse(cleaned);
  if (parsed.success) return parsed.data;
  const label = (path: ReadonlyArray<PropertyKey>) =>
    `${String(path[0])}=${shown(String(path[0]), source[String(path[0])])}`;
  throw new ConfigError(`environment variables with bad values:\n${zodErrorText(parsed.error, { label })}`);
}

/** A bad value as an error may show it: secrets hidden, a URL's password masked. */
function shown(variable: string, value: string | undefined): string {
  if (value === undefined) return 'undefined';
  if (/TOKEN|KEY|PASSWORD/.test(variable)) return '(hidden)';
  if (hasPassword(value)) {
    const url = new URL(value);
    url.password = '***';
    return JSON.stringify(url.toString());
  }
  return JSON.stringify(value);
}

export interface Paths {
  /** Everything local to this project: Temporal's SQLite file, the artifact repository, caches, logs. */
  stateDir: string;
  /** The artifact store's repository (bare), `<state dir>/artifacts`. */
  artifactsDir: string;
  /** Shared by every clone on this machine: built tools such as the Temporal CLI. */
  cacheDir: string;
}

export function pathsFrom(env: Env, cwd = process.cwd()): Paths {
  const userCache = env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  const stateDir = path.resolve(cwd, env.DEVCREW_STATE_DIR);
  return {
    stateDir,
    artifactsDir: path.join(stateDir, 'artifacts'),
    cacheDir: path.resolve(env.DEVCREW_CACHE_DIR ?? path.join(userCache, 'devcrew')),
  };
}

/** A Git remote and the credentials to use with it (from the environment; none: git's own helpers). */
export interface GitRemoteSettings {
  url: string;
  credentials?: { username: string; password: string };
}

function remoteFrom(url: string | undefined, username: string | undefined, token: string | undefined) {
  if (url === undefined) return undefined;
  const remote: GitRemoteSettings = { url };
  if (token !== undefined) remote.credentials = { username: username ?? 'devcrew', password: token };
  return remote;
}

/** Where finished runs are published (DEVCREW_ARTIFACTS_PUSH_URL), if anywhere. */
export function publishRemoteFrom(env: Env): GitRemoteSettings | undefined {
  return remoteFrom(
    env.DEVCREW_ARTIFACTS_PUSH_URL,
    env.DEVCREW_ARTIFACTS_PUSH_USERNAME,
    env.DEVCREW_ARTIFACTS_PUSH_TOKEN,
  );
}

/** The artifact store's Git server (DEVCREW_ARTIFACTS_SERVER_URL), if the store has one. */
export function storeServerFrom(env: Env): GitRemoteSettings | undefined {
  return remoteFrom(
    env.DEVCREW_ARTIFACTS_SERVER_URL,
    env.DEVCREW_ARTIFACTS_SERVER_USERNAME,
    env.DEVCREW_ARTIFACTS_SERVER_TOKEN,
  );
}

/** The auto-rollback settings a new rollout starts with. */
export function autoRollbackFrom(env: Env): AutoRollback {
  return {
    enabled: true,
    failure_rate_threshold: env.DEVCREW_ROLLOUT_FAILURE_THRESHOLD,
    min_runs: env.DEVCREW_ROLLOUT_MIN_RUNS,
    window_hours: env.DEVCREW_ROLLOUT_WINDOW_HOURS,
    check_interval_seconds: env.DEVCREW_ROLLOUT_CHECK_SECONDS,
  };
}

/** The model's settings: which provider and model, keys, cache, timeouts, the retry window, prices. */
const ModelEnv = z.object({
  /** Unset: gemini or openai when its key is set, else local (models/providers.ts decides, and says so). */
  DEVCREW_MODEL_PROVIDER: ModelProvider.optional(),
  DEVCREW_MODEL: z.string().min(1).optional(),
  DEVCREW_MODEL_CACHE: z.enum(['on', 'off']).default('on'),
  /** One model call; unset: 120 s for hosted providers, 900 s for a local model on a CPU. */
  DEVCREW_MODEL_TIMEOUT_SECONDS: z.coerce.number().positive().max(3600).optional(),
  /** The local provider: an OpenAI-compatible server you already run (Ollama, vLLM, LM Studio, llama.cpp);
   * unset, devcrew runs its own llama.cpp server on DEVCREW_MODEL_SERVER_PORT. */
  DEVCREW_MODEL_BASE_URL: Url.optional(),
  DEVCREW_MODEL_SERVER_PORT: Port.default(8033),
  /** Where devcrew's model server listens: 0.0.0.0 serves agent workers on other hosts (compose). */
  DEVCREW_MODEL_SERVER_HOST: z.string().min(1).default('127.0.0.1'),
  /** Requests the local server answers at once (llama.cpp slots, continuously batched). */
  DEVCREW_MODEL_SERVER_SLOTS: z.coerce.number().int().min(1).max(16).default(2),
  /** Context per slot, in tokens. */
  DEVCREW_MODEL_CONTEXT: z.coerce.number().int().min(2048).max(32_768).default(8192),
  DEVCREW_MODEL_THREADS: z.coerce.number().int().min(1).max(256).optional(),
  /** Unset: the provider's own (models/providers.ts: 300 s hosted, 1800 s for a model on this CPU). */
  DEVCREW_MODEL_RETRY_WINDOW_SECONDS: z.coerce
    .number({ error: 'expected a number of seconds, e.g. 300' })
    .int('expected whole seconds')
    .min(0)
    .max(7 * 24 * 3600)
    .optional(),
  DEVCREW_PRICE_TABLE: z.string().min(1).optional(),
});

/** A hosted provider's key and server, from `<ID>_API_KEY` and `<ID>_BASE_URL` (e.g. GEMINI_API_KEY). */
export interface ProviderCredentials {
  api_key?: string;
  base_url?: string;
}

export type ModelSettings = z.infer<typeof ModelEnv> & {
  /** By provider id in lower case (`gemini`, `openai`): a new provider's key needs no line here. */
  credentials: Readonly<Record<string, ProviderCredentials>>;
};

/** Reads and checks the model's settings; the error names each variable and what it expects. */
export function readModelSettings(source: NodeJS.ProcessEnv = process.env): ModelSettings {
  const cleaned = Object.fromEntries(
    Object.entries(source).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''),
  );
  const parsed = ModelEnv.safeParse(cleaned);
  const credentials: Record<string, ProviderCredentials> = {};
  const problems = parsed.success ? [] : [zodErrorText(parsed.error)];
  for (const [name, value] of Object.entries(cleaned)) {
    const m = /^([A-Z][A-Z0-9]*)_(API_KEY|BASE_URL)$/.exec(name);
    if (!m || m[1] === 'DEVCREW') continue;
    const entry = (credentials[m[1]!.toLowerCase()] ??= {});
    if (m[2] === 'API_KEY') entry.api_key = value;
    else {
      const url = Url.safeParse(value);
      if (url.success) entry.base_url = url.data;
      else problems.push(zodErrorText(url.error, { style: 'one line', label: () => name }));
    }
  }
  if (parsed.success && problems.length === 0) return { ...parsed.data, credentials };
  throw new ConfigError(`model settings:\n${problems.join('\n')}`);
}

export interface OidcSettings {
  jwksUrl: string;
  issuer: string;
  audience: string;
  roleClaim: string;
  nameClaim: string;
}

/** The identity provider's settings, or undefined when none is configured; a half-set one is an error. */
export function oidcFrom(env: Env): OidcSettings | undefined {
  const {
    DEVCREW_OIDC_JWKS_URL: jwksUrl,
    DEVCREW_OIDC_ISSUER: issuer,
    DEVCREW_OIDC_AUDIENCE: audience,
  } = env;
  if (!jwksUrl && !issuer && !audience) return undefined;
  if (!jwksUrl || !issuer || !audience) {
    const missing = Object.entries({
      DEVCREW_OIDC_JWKS_URL: jwksUrl,
      DEVCREW_OIDC_ISSUER: issuer,
      DEVCREW_OIDC_AUDIENCE: audience,
    })
      .filter(([, v]) => !v)
      .map(([k]) => k);
    throw new ConfigError(
      `OIDC is half configured: ${missing.join(', ')} not set`,
      'set DEVCREW_OIDC_JWKS_URL, DEVCREW_OIDC_ISSUER and DEVCREW_OIDC_AUDIENCE together, or none of them',
    );
  }
  return {
    jwksUrl,
    issuer,
    audience,
    roleClaim: env.DEVCREW_OIDC_ROLE_CLAIM,
    nameClaim: env.DEVCREW_OIDC_NAME_CLAIM,
  };
}

/** The gate policy of runs started now by authenticated people. */
export function gatePolicyFrom(env: Env): GatePolicy {
  return { four_eyes: env.DEVCREW_GATE_FOUR_EYES === 'on', approvals: env.DEVCREW_GATE_APPROVALS };
}

/** The sandbox's caps from the environment (an operator raises them there). */
export function sandboxCapsFrom(env: Env): { timeoutSeconds: number; memoryBytes: number } {
  return {
    timeoutSeconds: env.DEVCREW_SANDBOX_MAX_TIMEOUT_SECONDS,
    memoryBytes: env.DEVCREW_SANDBOX_MAX_MEMORY_MB * 1024 ** 2,
  };
}

/** Every environment variable devcrew reads through this module (the compose file is checked against it). */
export const ENV_VARIABLES: readonly string[] = [
  ...Object.keys(Env.shape),
  ...Object.keys(ModelEnv.shape),
  // Each hosted provider's key and server (readModelSettings reads them by provider id).
  ...ModelProvider.options
    .filter((p) => p !== 'local' && p !== 'scripted')
    .flatMap((p) => [`${p.toUpperCase()}_API_KEY`, `${p.toUpperCase()}_BASE_URL`]),
];
