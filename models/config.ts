import path from 'node:path';
import type { ModelSettings } from '../core/config';
import { ConfigError } from '../core/errors';
import { DEFAULT_MODELS } from './catalog';
import { geminiClient } from './gemini';
import { openAiCompatibleClient } from './openai-compatible';
import { loadPrices, type PriceTable } from './prices';
import { cachedModel, type CacheStats } from './response-cache';
import { scriptedClient } from './scripted';
import type { ModelClient } from './types';

export interface ModelSetup {
  model: ModelClient;
  prices: PriceTable;
  cache?: CacheStats;
  /** One line for a person: which model runs, and why. */
  description: string;
  /** True when DEVCREW_MODEL named the model; false when it is the provider's default (catalog.ts). */
  configured: boolean;
  /** Transient provider errors are ridden out this long from a step's first attempt. */
  retryWindowSeconds: number;
}

/**
 * Chooses and builds the model from its settings (read from the environment by core/config.ts). With no
 * provider chosen and no key set, the scripted test double runs, and the description says so.
 */
export function createModel(env: ModelSettings, stateDir: string): ModelSetup {
  const provider =
    env.DEVCREW_MODEL_PROVIDER ??
    (env.GEMINI_API_KEY ? 'gemini' : env.OPENAI_API_KEY ? 'openai' : 'scripted');
  const timeoutMs = env.DEVCREW_MODEL_TIMEOUT_SECONDS * 1000;
  const retryWindowSeconds = env.DEVCREW_MODEL_RETRY_WINDOW_SECONDS;
  let model: ModelClient;
  let description: string;
  if (provider === 'gemini') {
    if (!env.GEMINI_API_KEY) {
      throw new ConfigError(
        'DEVCREW_MODEL_PROVIDER=gemini needs GEMINI_API_KEY (an API key from Google AI Studio)',
      );
    }
    const name = env.DEVCREW_MODEL ?? DEFAULT_MODELS.gemini;
    model = geminiClient({
      apiKey: env.GEMINI_API_KEY,
      model: name,
      baseUrl: env.GEMINI_BASE_URL,
      timeoutMs,
      retryWindowSeconds,
    });
    description = `gemini ${name}${env.DEVCREW_MODEL ? '' : " (devcrew's default)"}${env.GEMINI_BASE_URL ? ` at ${env.GEMINI_BASE_URL}` : ''}`;
  } else if (provider === 'openai') {
    if (!env.OPENAI_API_KEY && !env.OPENAI_BASE_URL) {
      throw new ConfigError(
        'DEVCREW_MODEL_PROVIDER=openai needs OPENAI_API_KEY, or OPENAI_BASE_URL for a local server (Ollama, vLLM)',
      );
    }
    const name = env.DEVCREW_MODEL ?? DEFAULT_MODELS.openai;
    model = openAiCompatibleClient({
      apiKey: env.OPENAI_API_KEY ?? 'none',
      model: name,
      baseUrl: env.OPENAI_BASE_URL,
      timeoutMs,
      retryWindowSeconds,
    });
    description = `openai-compatible ${name}${env.DEVCREW_MODEL ? '' : " (devcrew's default)"}${env.OPENAI_BASE_URL ? ` at ${env.OPENAI_BASE_URL}` : ''}`;
  } else {
    model = scriptedClient();
    description = env.DEVCREW_MODEL_PROVIDER
      ? 'scripted (a test double replaying recorded answers)'
      : 'scripted (a test double replaying recorded answers): no DEVCREW_MODEL_PROVIDER and no API key set';
  }
  const prices = loadPrices(env.DEVCREW_PRICE_TABLE);
  const common = { prices, description, configured: env.DEVCREW_MODEL !== undefined, retryWindowSeconds };
  if (env.DEVCREW_MODEL_CACHE === 'off') return { model, ...common };
  const cached = cachedModel(model, path.join(stateDir, 'model-cache'));
  return { model: cached, cache: cached.stats, ...common };
}
