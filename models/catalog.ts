import type { ModelProvider } from '../contracts';
import { DEFAULT_LOCAL_MODEL } from './local-models';
import type { PriceTable } from './price-table';

/**
 * The models devcrew knows, in one place: each provider's default and the price table, read from the
 * providers' own pages on CATALOG_DATE (see CATALOG_SOURCES). DEVCREW_MODEL picks another model and
 * DEVCREW_PRICE_TABLE adds or replaces prices; `devcrew models` shows what the provider serves today.
 */
export const CATALOG_DATE = '2026-11-25';

export const CATALOG_SOURCES: readonly {
  provider: Exclude<ModelProvider, 'scripted' | 'local'>;
  page: string;
  url: string;
}[] = [
  { provider: 'gemini', page: 'Gemini models', url: 'https://ai.google.dev/gemini-api/docs/models' },
  {
    provider: 'gemini',
    page: 'Gemini deprecations',
    url: 'https://ai.google.dev/gemini-api/docs/deprecations',
  },
  {
    provider: 'gemini',
    page: 'Gemini Developer API pricing',
    url: 'https://ai.google.dev/gemini-api/docs/pricing',
  },
  { provider: 'openai', page: 'OpenAI models', url: 'https://developers.openai.com/api/docs/models' },
  {
    provider: 'openai',
    page: 'OpenAI deprecations',
    url: 'https://developers.openai.com/api/docs/deprecations',
  },
  { provider: 'openai', page: 'OpenAI API pricing', url: 'https://developers.openai.com/api/docs/pricing' },
];

/**
 * Defaults when DEVCREW_MODEL is not set. Gemini: `gemini-3.8-flash`, generally available since 2026-09-02
 * with no shutdown date announced, Google's recommended replacement for the retiring 2.5 models (2.0 Flash
 * was shut down on 2026-06-01 and answers 404). OpenAI: `gpt-6.1-terra` (2026-10-26), OpenAI's recommended
 * replacement for gpt-5-mini, which shuts down on 2026-12-11.
 */
export const DEFAULT_MODELS: Readonly<Record<Exclude<ModelProvider, 'scripted'>, string>> = {
  local: DEFAULT_LOCAL_MODEL,
  gemini: 'gemini-3.8-flash',
  openai: 'gpt-6.1-terra',
};

/**
 * Standard (pay-as-you-go) list prices in USD per million tokens on CATALOG_DATE, for prompts under the
 * long-context thresholds (200k tokens for Gemini Pro, 272k for OpenAI's GPT-6 models); output prices
 * include thinking and reasoning tokens, as the providers bill them.
 */
export const DEFAULT_PRICES: PriceTable = {
  // A model on this machine bills nothing; its cost is time (model_seconds) and tokens, reported the same.
  'local/*': { input_per_million: 0, output_per_million: 0 },
  // Introductory prices through 2026-12-31, the published standard ones from 2027-01-01.
  'gemini/gemini-3.8-flash': [
    { input_per_million: 0.75, cached_input_per_million: 0.075, output_per_million: 3.75 },
    { from: '2027-01-01', input_per_million: 1.5, cached_input_per_million: 0.15, output_per_million: 7.5 },
  ],
  'gemini/gemini-3.6-flash': [
    { input_per_million: 0.75, cached_input_per_million: 0.075, output_per_million: 3.75 },
    { from: '2027-01-01', input_per_million: 1.5, cached_input_per_million: 0.15, output_per_million: 7.5 },
  ],
  'gemini/gemini-3.5-flash': {
    input_per_million: 1.5,
    cached_input_per_million: 0.15,
    output_per_million: 9,
  },
  'gemini/gemini-3.5-flash-lite': { input_per_million: 0.3, output_per_million: 2.5 },
  'gemini/gemini-3.1-flash-lite': { input_per_million: 0.25, output_per_million: 1.5 },
  'gemini/gemini-3.1-pro-preview': { input_per_million: 2, output_per_million: 12 },
  // Not deprecated: served "until further notice".
  'gemini/gemini-2.5-flash-lite': { input_per_million: 0.1, output_per_million: 0.4 },
  'openai/gpt-6.1-terra': { input_per_million: 1, cached_input_per_million: 0.05, output_per_million: 5 },
  'openai/gpt-6.1-sol': { input_per_million: 2, output_per_million: 10 },
  'openai/gpt-6-sol': { input_per_million: 2, cached_input_per_million: 0.2, output_per_million: 10 },
  'openai/gpt-6-luna': { input_per_million: 0.1, cached_input_per_million: 0.01, output_per_million: 0.5 },
  'openai/gpt-6-astra': { input_per_million: 10, cached_input_per_million: 1, output_per_million: 50 },
  // Served until its announced shutdown on 2027-01-14 (replacement: gpt-6-luna).
  'openai/gpt-4o-mini': { input_per_million: 0.15, cached_input_per_million: 0.075, output_per_million: 0.6 },
  'scripted/*': { input_per_million: 0, output_per_million: 0 },
};
