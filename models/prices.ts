import fs from 'node:fs';
import { zodErrorText, type ModelInfo } from '../contracts';
import { ConfigError } from '../core/errors';
import { DEFAULT_PRICES } from './catalog';
import { PriceTable, type PriceRate } from './price-table';
import type { TokenUsage } from './types';

export { PriceTable, type PriceRate } from './price-table';
export { DEFAULT_PRICES } from './catalog';

/** devcrew's table with DEVCREW_PRICE_TABLE's entries (a JSON file of the same shape) over it. */
export function loadPrices(file: string | undefined): PriceTable {
  if (!file) return DEFAULT_PRICES;
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`DEVCREW_PRICE_TABLE=${file} cannot be read as JSON: ${(err as Error).message}`);
  }
  const parsed = PriceTable.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(
      `DEVCREW_PRICE_TABLE=${file} is not a price table:\n${zodErrorText(parsed.error)}\n` +
        'expected {"provider/model": {"input_per_million": N, "output_per_million": N, "cached_input_per_million"?: N}}',
    );
  }
  return { ...DEFAULT_PRICES, ...parsed.data };
}

/**
 * The rate for a model on a day: its own entry (a dated snapshot such as `gpt-6.1-terra-2026-10-26` falls
 * back to `gpt-6.1-terra`), else its provider's `provider/*` entry; undefined when the table has neither.
 */
export function rateFor(prices: PriceTable, model: ModelInfo, at: Date = new Date()): PriceRate | undefined {
  const undated = model.name.replace(/-\d{4}-\d{2}-\d{2}$/, '');
  const entry =
    prices[`${model.provider}/${model.name}`] ??
    prices[`${model.provider}/${undated}`] ??
    prices[`${model.provider}/*`];
  if (!entry) return undefined;
  const day = at.toISOString().slice(0, 10);
  const rates = (Array.isArray(entry) ? entry : [entry]).filter((r) => !r.from || r.from <= day);
  return rates.sort((a, b) => (a.from ?? '').localeCompare(b.from ?? '')).at(-1);
}

export interface PricedUsage {
  cost_usd: number;
  /** False when the table has no price for the model: the cost is then 0 and must be shown as unknown. */
  price_known: boolean;
}

/**
 * What one call cost: uncached input at the input rate, cached input at the cache rate (the input rate when
 * the table has none), the answer and the thinking or reasoning tokens at the output rate.
 */
export function costOf(prices: PriceTable, model: ModelInfo, usage: TokenUsage, at?: Date): PricedUsage {
  const rate = rateFor(prices, model, at);
  if (!rate) return { cost_usd: 0, price_known: false };
  const cached = Math.min(usage.cached_input_tokens ?? 0, usage.input_tokens);
  const millionths =
    (usage.input_tokens - cached) * rate.input_per_million +
    cached * (rate.cached_input_per_million ?? rate.input_per_million) +
    (usage.output_tokens + (usage.thought_tokens ?? 0)) * rate.output_per_million;
  return { cost_usd: millionths / 1_000_000, price_known: true };
}
