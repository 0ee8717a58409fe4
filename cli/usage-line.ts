import type { ModelInfo, ModelUsage } from '../contracts';

/**
 * The cost of a run in words: what it cost, the calls behind it, the thinking tokens billed in it, and,
 * when the model has no price in the table, that the cost is not known rather than $0.
 */
export function usageLine(usage: ModelUsage | undefined, model: ModelInfo | null | undefined): string {
  const u = usage;
  if (!u) return '$0 (no model calls)';
  const parts = [`${u.calls} model calls`, `${u.cache_hits} cache hits`];
  if (u.thought_tokens) parts.push(`${u.thought_tokens} thinking tokens billed as output`);
  if (u.cached_input_tokens) parts.push(`${u.cached_input_tokens} cached input tokens`);
  const unknown = u.unpriced_calls
    ? `; PRICE UNKNOWN for ${u.unpriced_calls} call(s)${model ? ` to ${model.provider}/${model.name}` : ''}: not counted (add it to DEVCREW_PRICE_TABLE)`
    : '';
  return `$${u.cost_usd.toFixed(4)} (${parts.join(', ')})${unknown}`;
}
