import type { ModelProvider } from '../contracts';
import { DEFAULT_MODELS, DEFAULT_PRICES } from './catalog';
import { ModelError, type ServedModel } from './types';

/** How an error names a provider's server; another provider is named by its id. */
const PROVIDER_NAMES: Partial<Record<ModelProvider, string>> = {
  local: 'The local model server',
  gemini: 'Gemini',
  openai: 'The OpenAI-compatible server',
};

/**
 * A few models the provider serves, best first: devcrew's default, then the ones with a known price
 * (newest first by name), then any other that can answer.
 */
export function suggestModels(
  provider: Exclude<ModelProvider, 'scripted'>,
  served: ServedModel[],
  count = 4,
): string[] {
  const usable = served.filter((m) => m.generates !== false).map((m) => m.name);
  const priced = new Set(
    Object.keys(DEFAULT_PRICES)
      .filter((k) => k.startsWith(`${provider}/`))
      .map((k) => k.slice(provider.length + 1)),
  );
  const rank = (name: string) => (name === DEFAULT_MODELS[provider] ? 0 : priced.has(name) ? 1 : 2);
  return [...new Set(usable)]
    .sort((a, b) => rank(a) - rank(b) || b.localeCompare(a, 'en', { numeric: true }))
    .slice(0, count);
}

/**
 * MODEL_NOT_FOUND, the same words at start and mid-run: which model, that the provider does not serve
 * it, where, what to set, and a few models it does serve.
 */
export function notServedError(o: {
  provider: Exclude<ModelProvider, 'scripted'>;
  model: string;
  /** e.g. "at https://generativelanguage.googleapis.com", "at http://127.0.0.1:8080/v1" */
  at: string;
  served: ServedModel[];
  /** What the provider answered, e.g. "models.get answered 404 NOT_FOUND". */
  evidence: string;
  /** True when DEVCREW_MODEL named the model, false when it was devcrew's default. */
  configured?: boolean;
}): ModelError {
  const suggestions = suggestModels(o.provider, o.served);
  const which = o.configured === false ? `devcrew's default model "${o.model}"` : `the model "${o.model}"`;
  const fix =
    suggestions.length > 0
      ? `set DEVCREW_MODEL to a model it serves, e.g. ${suggestions.join(', ')} (\`devcrew models\` lists them all)`
      : 'set DEVCREW_MODEL to a model it serves (`devcrew models` lists them)';
  return new ModelError(
    'MODEL_NOT_FOUND',
    `${PROVIDER_NAMES[o.provider] ?? o.provider} ${o.at} does not serve ${which} (${o.evidence}); ${fix}`,
  );
}
