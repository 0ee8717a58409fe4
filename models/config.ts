import path from 'node:path';
import type { ModelSettings } from '../core/config';
import { loadPrices, type PriceTable } from './prices';
import { cachedModel, type CacheStats } from './response-cache';
import { chooseProvider, PROVIDERS } from './providers';
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
 * Chooses and builds the model from its settings (read from the environment by core/config.ts), through
 * the provider registry (providers.ts). With no provider chosen and no key set, the local model runs.
 */
export function createModel(env: ModelSettings, stateDir: string): ModelSetup {
  const chosen = chooseProvider(env);
  const entry = PROVIDERS[chosen.id];
  const timeoutMs = (env.DEVCREW_MODEL_TIMEOUT_SECONDS ?? entry.defaultTimeoutSeconds) * 1000;
  const retryWindowSeconds = env.DEVCREW_MODEL_RETRY_WINDOW_SECONDS ?? entry.defaultRetryWindowSeconds;
  const made = entry.create(env, { timeoutMs, retryWindowSeconds });
  const model = made.model;
  const description = env.DEVCREW_MODEL_PROVIDER ? made.description : `${made.description}: ${chosen.why}`;
  const prices = loadPrices(env.DEVCREW_PRICE_TABLE);
  const common = { prices, description, configured: env.DEVCREW_MODEL !== undefined, retryWindowSeconds };
  if (env.DEVCREW_MODEL_CACHE === 'off') return { model, ...common };
  const cached = cachedModel(model, path.join(stateDir, 'model-cache'));
  return { model: cached, cache: cached.stats, ...common };
}
