import { ConfigError } from '../core/errors';
import type { ModelSetup } from './config';
import { notServedError } from './not-served';
import { ModelError } from './types';

/** How long the start-time check waits for the provider before starting anyway. */
const CHECK_TIMEOUT_MS = 20_000;

/**
 * At start (`devcrew up`, `devcrew worker`, `devcrew plan`): asks the provider, through its own SDK
 * (Gemini `models.get`, OpenAI `models.retrieve`), whether it serves the configured model. Refuses to
 * start (ConfigError, [MODEL_NOT_FOUND]) when it does not, naming the model, DEVCREW_MODEL and a few models
 * it serves; refuses when the provider refuses the key. When the provider cannot be reached, says so and
 * lets devcrew start: runs wait for it within DEVCREW_MODEL_RETRY_WINDOW_SECONDS.
 */
export async function checkModelServed(setup: ModelSetup, report: (line: string) => void): Promise<void> {
  const { provider, name } = setup.model.info;
  const lookup = setup.model.lookup;
  if (provider === 'scripted' || !lookup) return;
  const how = provider === 'gemini' ? 'models.get' : 'models.retrieve';
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), CHECK_TIMEOUT_MS);
  });
  try {
    const found = await Promise.race([lookup.get(name), timeout]);
    if (found === 'timeout') {
      report(
        `model: could not check ${name} (no answer to ${how} in ${CHECK_TIMEOUT_MS / 1000} s); starting anyway`,
      );
      return;
    }
    if (found && found.generates !== false) {
      report(`model: ${provider} serves ${name} (checked with ${found.foundBy ?? how})`);
      return;
    }
    const served = await lookup.list().catch(() => []);
    throw notServedError({
      provider,
      model: name,
      at: lookup.at,
      served,
      evidence: found
        ? `${how} lists it, but not for generateContent: it cannot answer text requests`
        : provider === 'gemini'
          ? `${how} answered 404 Not Found`
          : `${how} answered 404 Not Found, and models.list does not name it`,
      configured: setup.configured,
    });
  } catch (err) {
    if (!(err instanceof ModelError)) throw err;
    if (err.code === 'MODEL_NOT_FOUND' || err.code === 'MODEL_BAD_REQUEST')
      throw new ConfigError(err.message);
    report(`model: could not check ${name}: ${err.message}; starting anyway (runs wait for the provider)`);
  } finally {
    clearTimeout(timer);
  }
}
