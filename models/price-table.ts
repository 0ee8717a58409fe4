import { z } from 'zod';
import { MODEL_PROVIDERS } from '../contracts/agent-steps';

/** USD per million tokens, from a date on (UTC) when `from` is set. */
export const PriceRate = z.strictObject({
  input_per_million: z.number().nonnegative(),
  output_per_million: z.number().nonnegative(),
  /** Input read from the provider's prompt cache; without it, cached input is priced as input. */
  cached_input_per_million: z.number().nonnegative().optional(),
  from: z.iso.date({ error: 'expected a date like "2027-01-01"' }).optional(),
});
export type PriceRate = z.infer<typeof PriceRate>;

/**
 * Prices by `provider/model` (e.g. `gemini/gemini-3.8-flash`): one rate, or rates that change on set dates.
 * A `provider/*` entry prices every model of that provider not listed (e.g. `"openai/*"` at 0 for a local
 * server); devcrew's own table has none, so a model it does not know is reported as unpriced.
 */
export const PriceTable = z.record(
  z
    .string()
    .regex(
      new RegExp(`^(${MODEL_PROVIDERS.join('|')})/.+$`),
      'expected "provider/model", e.g. "gemini/gemini-3.8-flash"',
    ),
  z.union([PriceRate, z.array(PriceRate).min(1)]),
);
export type PriceTable = z.infer<typeof PriceTable>;
