import { MODEL_ROLES, ROLES, type ModelProvider, type ModelRole } from '../contracts';
import type { ModelSettings } from '../core/config';
import { ConfigError } from '../core/errors';
import { DEFAULT_MODELS } from './catalog';
import { geminiClient } from './gemini';
import { DEFAULT_LOCAL_MODEL, localModel } from './local-models';
import { openAiCompatibleClient } from './openai-compatible';
import { scriptedClient } from './doubles';
import type { ModelClient } from './types';

/** What a provider makes of the settings: the client, and one line for a person. */
export interface ProviderModel {
  model: ModelClient;
  description: string;
}

/** One model provider: how it is chosen and built. Every provider is declared here, once. */
export interface ProviderEntry {
  id: ModelProvider;
  /** For `devcrew models` and errors. */
  title: string;
  /** Timeout of one call when DEVCREW_MODEL_TIMEOUT_SECONDS is not set. */
  defaultTimeoutSeconds: number;
  /**
   * How long transient errors are ridden out per step when DEVCREW_MODEL_RETRY_WINDOW_SECONDS is not
   * set: longer than one call may take, so a call that waited for a busy server can be tried again.
   */
  defaultRetryWindowSeconds: number;
  /** Chosen without DEVCREW_MODEL_PROVIDER when its `<ID>_API_KEY` is set (in this table's order). */
  chosenByKey?: boolean;
  create(settings: ModelSettings, common: { timeoutMs: number; retryWindowSeconds: number }): ProviderModel;
}

/**
 * Output caps per role, in tokens (contracts/roles.ts): every call ends, and a small model's answer that runs away (repeating
 * itself to the end of its context) is cut early and asked again (openai-compatible.ts).
 */
export const LOCAL_OUTPUT_CAPS = Object.fromEntries(
  MODEL_ROLES.map((role) => [role, ROLES[role].localOutputTokens]),
) as Record<ModelRole, number>;

/** Where devcrew's own llama.cpp server answers, or the server the person runs. */
export function localBaseUrl(settings: ModelSettings): string {
  return settings.DEVCREW_MODEL_BASE_URL ?? `http://127.0.0.1:${settings.DEVCREW_MODEL_SERVER_PORT}/v1`;
}

/** Whether devcrew starts the local model server itself (`devcrew up`, `devcrew worker`). */
export function runsOwnModelServer(settings: ModelSettings): boolean {
  return chooseProvider(settings).id === 'local' && !settings.DEVCREW_MODEL_BASE_URL;
}

export const PROVIDERS: Readonly<Record<ModelProvider, ProviderEntry>> = {
  local: {
    id: 'local',
    title:
      'a code model on this machine (llama.cpp), or an OpenAI-compatible server at DEVCREW_MODEL_BASE_URL',
    defaultTimeoutSeconds: 900,
    defaultRetryWindowSeconds: 1800,
    create(settings, common) {
      const name = settings.DEVCREW_MODEL ?? DEFAULT_LOCAL_MODEL;
      const own = !settings.DEVCREW_MODEL_BASE_URL;
      if (own && !localModel(name)) {
        throw new ConfigError(
          `DEVCREW_MODEL=${name} is not a model devcrew can run itself; use qwen2.5-coder-0.5b or qwen2.5-coder-1.5b, or set DEVCREW_MODEL_BASE_URL to a server that serves it`,
        );
      }
      const baseUrl = localBaseUrl(settings);
      return {
        model: openAiCompatibleClient({
          provider: 'local',
          apiKey: 'none',
          model: name,
          baseUrl,
          timeoutMs: common.timeoutMs,
          retryWindowSeconds: common.retryWindowSeconds,
          outputCaps: LOCAL_OUTPUT_CAPS,
          stream: true,
          plainFiles: true,
        }),
        description: `local ${name}${settings.DEVCREW_MODEL ? '' : " (devcrew's default)"} ${own ? `served by devcrew's llama.cpp server at ${baseUrl}` : `at ${baseUrl}`}`,
      };
    },
  },
  gemini: {
    id: 'gemini',
    title: "Google's Gemini API",
    defaultTimeoutSeconds: 120,
    defaultRetryWindowSeconds: 300,
    chosenByKey: true,
    create(settings, common) {
      const { api_key, base_url } = settings.credentials.gemini ?? {};
      if (!api_key) {
        throw new ConfigError(
          'DEVCREW_MODEL_PROVIDER=gemini needs GEMINI_API_KEY (an API key from Google AI Studio)',
        );
      }
      const name = settings.DEVCREW_MODEL ?? DEFAULT_MODELS.gemini;
      return {
        model: geminiClient({
          apiKey: api_key,
          model: name,
          baseUrl: base_url,
          ...common,
        }),
        description: `gemini ${name}${settings.DEVCREW_MODEL ? '' : " (devcrew's default)"}${base_url ? ` at ${base_url}` : ''}`,
      };
    },
  },
  openai: {
    id: 'openai',
    title: "OpenAI's API or any server speaking it (OPENAI_BASE_URL)",
    defaultTimeoutSeconds: 120,
    defaultRetryWindowSeconds: 300,
    chosenByKey: true,
    create(settings, common) {
      const { api_key, base_url } = settings.credentials.openai ?? {};
      if (!api_key && !base_url) {
        throw new ConfigError(
          'DEVCREW_MODEL_PROVIDER=openai needs OPENAI_API_KEY, or OPENAI_BASE_URL for a local server (or use DEVCREW_MODEL_PROVIDER=local with DEVCREW_MODEL_BASE_URL)',
        );
      }
      const name = settings.DEVCREW_MODEL ?? DEFAULT_MODELS.openai;
      return {
        model: openAiCompatibleClient({
          provider: 'openai',
          apiKey: api_key ?? 'none',
          model: name,
          baseUrl: base_url,
          ...common,
        }),
        description: `openai-compatible ${name}${settings.DEVCREW_MODEL ? '' : " (devcrew's default)"}${base_url ? ` at ${base_url}` : ''}`,
      };
    },
  },
  scripted: {
    id: 'scripted',
    title: 'a test double replaying recorded answers (tests, and only when asked for)',
    defaultTimeoutSeconds: 120,
    defaultRetryWindowSeconds: 300,
    create() {
      return { model: scriptedClient(), description: 'scripted (a test double replaying recorded answers)' };
    },
  },
};

/**
 * The provider, and why: DEVCREW_MODEL_PROVIDER when set; else the hosted provider whose key is set;
 * else the local model. The one place the default is decided; the reason is shown at start.
 */
export function chooseProvider(settings: ModelSettings): { id: ModelProvider; why: string } {
  if (settings.DEVCREW_MODEL_PROVIDER)
    return { id: settings.DEVCREW_MODEL_PROVIDER, why: 'DEVCREW_MODEL_PROVIDER' };
  for (const p of Object.values(PROVIDERS))
    if (p.chosenByKey && settings.credentials[p.id]?.api_key)
      return { id: p.id, why: `${p.id.toUpperCase()}_API_KEY is set` };
  return { id: 'local', why: 'the default: no DEVCREW_MODEL_PROVIDER and no API key set' };
}
