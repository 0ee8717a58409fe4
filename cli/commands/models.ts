import type { Command } from 'commander';
import type { ModelProvider } from '../../contracts';
import { CATALOG_DATE, DEFAULT_MODELS } from '../../models/catalog';
import { createModel } from '../../models/config';
import { rateFor, type PriceRate, type PriceTable } from '../../models/prices';
import type { ServedModel } from '../../models/types';
import { ModelError } from '../../models/types';
import { pathsFrom, readEnv, readModelSettings } from '../../core/config';
import { CliError, EXIT } from '../exit-codes';

/**
 * `devcrew models [--all] [--json]`: what the configured provider serves, asked through its own SDK
 * (Gemini `models.list`, OpenAI `models.list`), with the configured model, devcrew's default and the known
 * prices marked. Exit 1 when the configured model is not among them.
 */
export function registerModels(program: Command): void {
  program
    .command('models')
    .description(
      'list the models the configured provider serves, marking the configured one, the default and known prices',
    )
    .option('--all', 'also models that cannot answer text requests (embeddings, images)')
    .option('--json', 'one JSON document')
    .action(async (o: { all?: boolean; json?: boolean }) => {
      const setup = createModel(readModelSettings(), pathsFrom(readEnv()).stateDir);
      const { provider, name } = setup.model.info;
      const lookup = setup.model.lookup;
      if (provider === 'scripted' || !lookup) {
        const text =
          `model: ${setup.description}\nno provider to ask. devcrew's defaults (from the providers' pages of ${CATALOG_DATE}): ` +
          `gemini ${DEFAULT_MODELS.gemini} (GEMINI_API_KEY), openai ${DEFAULT_MODELS.openai} (DEVCREW_MODEL_PROVIDER=openai, OPENAI_API_KEY)\n`;
        process.stdout.write(
          o.json ? `${JSON.stringify({ provider, configured_model: name, models: [] }, null, 2)}\n` : text,
        );
        return;
      }
      let served: ServedModel[];
      try {
        served = await lookup.list();
      } catch (err) {
        throw new CliError(
          `cannot list the models: ${err instanceof ModelError ? err.message : String(err)}`,
          EXIT.invalid,
        );
      }
      const fallback = DEFAULT_MODELS[provider];
      const rows = served
        .filter((m) => o.all || m.generates !== false || m.name === name)
        .sort((a, b) => b.name.localeCompare(a.name, 'en', { numeric: true }))
        .map((m) => ({
          name: m.name,
          ...(m.displayName ? { display_name: m.displayName } : {}),
          configured: m.name === name,
          default: m.name === fallback,
          price: priceOf(setup.prices, provider, m.name),
        }));
      const servesConfigured = served.some((m) => m.name === name);
      if (o.json) {
        process.stdout.write(
          `${JSON.stringify(
            {
              provider,
              at: lookup.at.replace(/^at /, ''),
              configured_model: name,
              configured_model_served: servesConfigured,
              default_model: fallback,
              prices_as_of: CATALOG_DATE,
              models: rows,
            },
            null,
            2,
          )}\n`,
        );
      } else {
        const width = Math.max(10, ...rows.map((r) => r.name.length));
        const lines = [
          `${provider} ${lookup.at} serves ${rows.length} model(s)${o.all ? '' : ' that answer text requests (--all for every one)'}:`,
          ...rows.map((r) => {
            const marks = [r.configured ? 'configured' : '', r.default ? 'default' : '']
              .filter(Boolean)
              .join(', ');
            return `  ${r.name.padEnd(width)}  ${marks.padEnd(19)}  ${r.price ?? 'no price in the table'}`;
          }),
          `prices: USD per million tokens, devcrew's table of ${CATALOG_DATE}${readModelSettings().DEVCREW_PRICE_TABLE ? ` with DEVCREW_PRICE_TABLE=${readModelSettings().DEVCREW_PRICE_TABLE}` : ''}`,
        ];
        if (!servesConfigured) {
          lines.push(
            `the configured model "${name}" is NOT served here${setup.configured ? ' (DEVCREW_MODEL)' : " (devcrew's default)"}; set DEVCREW_MODEL to one of the above`,
          );
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      if (!servesConfigured) process.exitCode = EXIT.invalid;
    });
}

function priceOf(
  prices: PriceTable,
  provider: Exclude<ModelProvider, 'scripted'>,
  name: string,
): string | null {
  const now = rateFor(prices, { provider, name });
  if (!now) return null;
  const entry = prices[`${provider}/${name}`];
  const today = new Date().toISOString().slice(0, 10);
  const next = (Array.isArray(entry) ? entry : []).find((r) => r.from !== undefined && r.from > today);
  return `${describeRate(now)}${next ? `; from ${next.from}: ${describeRate(next)}` : ''}`;
}

function describeRate(rate: PriceRate): string {
  const usd = (n: number) => `$${n}`;
  return [
    `${usd(rate.input_per_million)} in`,
    rate.cached_input_per_million !== undefined ? `${usd(rate.cached_input_per_million)} cached` : '',
    `${usd(rate.output_per_million)} out`,
  ]
    .filter(Boolean)
    .join(' / ');
}
