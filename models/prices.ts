import fs from 'node:fs';
import { z } from 'zod';
import type { ModelInfo } from '../contracts';
import type { TokenUsage } from './types';

/** USD per million tokens, by `provider/model`; `provider/*` is the provider's fallback. */
export const PriceTable = z.record(
  z.string(),
  z.strictObject({
    input_per_million: z.number().nonnegative(),
    output_per_million: z.number().nonnegative(),
  }),
);
export type PriceTable = z.infer<typeof PriceTable>;

/** List prices when this table was written; replace them with DEVCREW_PRICE_TABLE (a JSON file). */
export const DEFAULT_PRICES: PriceTable = {
  'gemini/gemini-2.0-flash': { input_per_million: 0.1, output_per_million: 0.4 },
  'gemini/gemini-2.5-flash': { input_per_million: 0.3, output_per_million: 2.5 },
  'gemini/gemini-2.5-pro': { input_per_million: 1.25, output_per_million: 10 },
  'gemini/*': { input_per_million: 0.3, output_per_million: 2.5 },
  'openai/gpt-4o-mini': { input_per_million: 0.15, output_per_million: 0.6 },
  'openai/*': { input_per_million: 2.5, output_per_million: 10 },
  'scripted/*': { input_per_million: 0, output_per_million: 0 },
};

export function loadPrices(file: string | undefined): PriceTable {
  if (!file) return DEFAULT_PRICES;
  const parsed = PriceTable.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(
      `[INVALID_CONFIG] DEVCREW_PRICE_TABLE=${file} is not a price table: ${parsed.error.message}`,
    );
  }
  return { ...DEFAULT_PRICES, ...parsed.data };
}

export function costOf(prices: PriceTable, model: ModelInfo, usage: TokenUsage): number {
  const price = prices[`${model.provider}/${model.name}`] ?? prices[`${model.provider}/*`];
  if (!price) return 0;
  return (
    (usage.input_tokens * price.input_per_million + usage.output_tokens * price.output_per_million) /
    1_000_000
  );
}
