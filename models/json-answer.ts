import type { z } from 'zod';
import { zodErrorText } from '../contracts';
import { ModelError, type TokenUsage, type JsonAnswer } from './types';

/**
 * Where model text enters devcrew: parsed as JSON (a fenced block is tolerated) and checked with the
 * schema; anything else is INVALID_AGENT_OUTPUT with zod's problems listed.
 */
export function checkAnswer<S extends z.ZodType>(
  provider: string,
  text: string,
  schema: S,
  usage: TokenUsage,
): JsonAnswer<z.output<S>> {
  const body = text.trim().replace(/^```(?:json)?\s*\n([\s\S]*?)\n```$/, '$1');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw new ModelError(
      'INVALID_AGENT_OUTPUT',
      `${provider} answered text that is not JSON (${(err as Error).message}); first 200 characters: ${JSON.stringify(body.slice(0, 200))}`,
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ModelError(
      'INVALID_AGENT_OUTPUT',
      `${provider}'s answer does not match the expected shape:\n${zodErrorText(parsed.error)}`,
    );
  }
  return { value: parsed.data, usage, raw: text };
}

/** Seconds or an HTTP date, as Retry-After carries them. */
export function retryAfterMs(header: string | null | undefined): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * A provider's HTTP error status as a ModelError, the same way for every provider: 429 rate limited
 * (with Retry-After), 5xx unavailable (with Retry-After, as a 503 may send), 401/403 a refused key (naming the variable to check), other 4xx a
 * refused request.
 */
export function errorForStatus(
  where: string,
  status: number,
  detail: string,
  retryAfter: string | null | undefined,
  keyVariable: string,
): ModelError {
  if (status === 429)
    return new ModelError(
      'MODEL_RATE_LIMITED',
      `${where} is rate limiting (429): ${detail}`,
      retryAfterMs(retryAfter),
    );
  if (status >= 500) {
    return new ModelError(
      'MODEL_UNAVAILABLE',
      `${where} failed (${status}): ${detail}`,
      retryAfterMs(retryAfter),
    );
  }
  if (status === 401 || status === 403) {
    return new ModelError('MODEL_BAD_REQUEST', `${where} refused the key (${status}); check ${keyVariable}`);
  }
  return new ModelError('MODEL_BAD_REQUEST', `${where} refused the request (${status}): ${detail}`);
}
