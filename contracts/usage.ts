import type { ModelUsage } from './agent-steps';

/**
 * Usage arithmetic, apart from the schemas so workflow code can use it without loading zod (every new
 * workflow evaluates the modules it imports: bench/workflows.ts, P3).
 */
export const NO_USAGE: ModelUsage = {
  calls: 0,
  cache_hits: 0,
  input_tokens: 0,
  output_tokens: 0,
  thought_tokens: 0,
  cached_input_tokens: 0,
  cost_usd: 0,
  unpriced_calls: 0,
  model_seconds: 0,
};

/** Two usages added up, field by field (a usage recorded before a field existed counts it as 0). */
export function sumUsage(a: ModelUsage, b: ModelUsage): ModelUsage {
  const add = (k: keyof ModelUsage) => (a[k] ?? 0) + (b[k] ?? 0);
  return {
    calls: add('calls'),
    cache_hits: add('cache_hits'),
    input_tokens: add('input_tokens'),
    output_tokens: add('output_tokens'),
    thought_tokens: add('thought_tokens'),
    cached_input_tokens: add('cached_input_tokens'),
    cost_usd: add('cost_usd'),
    unpriced_calls: add('unpriced_calls'),
    model_seconds: Math.round(add('model_seconds') * 1000) / 1000,
  };
}
