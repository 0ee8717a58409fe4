import type * as GenAI from '@google/genai' with { 'resolution-mode': 'import' };
import { z } from 'zod';
import { checkAnswer, errorForStatus } from './json-answer';
import { notServedError } from './not-served';
import {
  ModelError,
  type JsonAnswer,
  type JsonRequest,
  type ModelClient,
  type ModelLookup,
  type ServedModel,
  type TokenUsage,
} from './types';

// The package ships CommonJS for Node, but its type map points TypeScript at the ESM build only.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ApiError, GoogleGenAI } = require('@google/genai') as typeof GenAI;

export interface GeminiOptions {
  apiKey: string;
  model: string;
  /** GEMINI_BASE_URL: a proxy, or the fake server in tests. */
  baseUrl?: string;
  timeoutMs?: number;
  /** DEVCREW_MODEL_RETRY_WINDOW_SECONDS, carried for the activities that ride out outages. */
  retryWindowSeconds?: number;
}

/**
 * Gemini through Google's current SDK, `@google/genai` (the older `@google/generative-ai` was archived
 * and lost support on 2025-08-31). Structured output: JSON mime type plus a response schema derived
 * from the zod contract. The SDK's own retries are off: Temporal's retry policy decides.
 */
export function geminiClient(options: GeminiOptions): ModelClient {
  const scrub = (text: string) => text.split(options.apiKey).join('[redacted]');
  const at = `at ${options.baseUrl ?? 'https://generativelanguage.googleapis.com'}`;
  const where = `Gemini (${options.model} ${at})`;
  const sdk = (onResponse?: (res: Response) => void) =>
    new GoogleGenAI({
      apiKey: options.apiKey,
      httpOptions: {
        ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
        timeout: options.timeoutMs ?? 120_000,
        retryOptions: { attempts: 1 },
        // Only to read Retry-After, which the SDK's ApiError does not carry.
        ...(onResponse
          ? {
              fetch: async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
                const res = await fetch(input, init);
                onResponse(res);
                return res;
              },
            }
          : {}),
      },
    });
  const lookup = geminiLookup(sdk(), at, scrub);
  return {
    info: { provider: 'gemini', name: options.model },
    lookup,
    ...(options.retryWindowSeconds !== undefined ? { retryWindowSeconds: options.retryWindowSeconds } : {}),
    async generateJson<S extends z.ZodType>(request: JsonRequest<S>): Promise<JsonAnswer<z.output<S>>> {
      let retryAfter: string | null = null;
      const ai = sdk((res) => (retryAfter = res.headers.get('retry-after')));
      let response;
      try {
        response = await ai.models.generateContent({
          model: options.model,
          contents: [{ role: 'user', parts: [{ text: request.prompt }] }],
          config: {
            systemInstruction: request.system,
            responseMimeType: 'application/json',
            responseJsonSchema: z.toJSONSchema(request.schema, {
              target: 'draft-2020-12',
              unrepresentable: 'any',
            }),
            // Google asks to keep Gemini 3 at its default temperature (lower values can loop or degrade).
            ...(geminiGeneration(options.model) >= 3 ? {} : { temperature: 0 }),
            ...(request.signal ? { abortSignal: request.signal } : {}),
          },
        });
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) {
          const served = await lookup.list().catch(() => [] as ServedModel[]);
          throw notServedError({
            provider: 'gemini',
            model: options.model,
            at,
            served,
            evidence: `generateContent answered 404: ${scrub(err.message).slice(0, 200)}`,
          });
        }
        throw toModelError(where, err, retryAfter, scrub);
      }
      const blocked = response.promptFeedback?.blockReason;
      const finish = response.candidates?.[0]?.finishReason;
      if (blocked || finish === 'SAFETY' || finish === 'PROHIBITED_CONTENT' || finish === 'BLOCKLIST') {
        throw new ModelError(
          'MODEL_SAFETY_BLOCK',
          `${where} refused the ${request.role} request on safety grounds (${blocked ?? finish}); rephrase the request`,
        );
      }
      const text = response.text;
      if (!text)
        throw new ModelError(
          'INVALID_AGENT_OUTPUT',
          `${where} sent no text (finish reason ${finish ?? 'none'})`,
        );
      return checkAnswer(where, text, request.schema, geminiUsage(response.usageMetadata));
    },
  };
}

/**
 * Gemini's usage as billed: `promptTokenCount` includes the cached content (`cachedContentTokenCount`),
 * `candidatesTokenCount` is the answer alone and `thoughtsTokenCount` the thinking, billed at the output rate.
 */
export function geminiUsage(meta: GenAI.GenerateContentResponseUsageMetadata | undefined): TokenUsage {
  return {
    input_tokens: meta?.promptTokenCount ?? 0,
    output_tokens: meta?.candidatesTokenCount ?? 0,
    thought_tokens: meta?.thoughtsTokenCount ?? 0,
    cached_input_tokens: meta?.cachedContentTokenCount ?? 0,
  };
}

/** The generation in a Gemini model id (`gemini-3.8-flash` is 3); 0 when the name says none. */
function geminiGeneration(model: string): number {
  const match = /^gemini-(\d+)/.exec(model);
  return match ? Number(match[1]) : 0;
}

function geminiLookup(ai: GenAI.GoogleGenAI, at: string, scrub: (t: string) => string): ModelLookup {
  const where = `Gemini ${at}`;
  const served = (m: GenAI.Model): ServedModel => ({
    name: (m.name ?? '').replace(/^models\//, ''),
    ...(m.displayName ? { displayName: m.displayName } : {}),
    ...(m.supportedActions ? { generates: m.supportedActions.includes('generateContent') } : {}),
  });
  return {
    at,
    async get(name) {
      try {
        return served(await ai.models.get({ model: name }));
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return undefined;
        throw toModelError(where, err, null, scrub);
      }
    },
    async list() {
      try {
        const out: ServedModel[] = [];
        for await (const m of await ai.models.list({ config: { pageSize: 1000 } })) out.push(served(m));
        return out;
      } catch (err) {
        throw toModelError(where, err, null, scrub);
      }
    },
  };
}

function toModelError(
  where: string,
  err: unknown,
  retryAfter: string | null,
  scrub: (t: string) => string,
): ModelError {
  if (err instanceof ModelError) return err;
  if (err instanceof ApiError) {
    return errorForStatus(where, err.status, scrub(err.message).slice(0, 300), retryAfter, 'GEMINI_API_KEY');
  }
  const message = scrub(err instanceof Error ? `${err.message}${causeOf(err)}` : String(err));
  return new ModelError('MODEL_UNAVAILABLE', `${where} cannot be reached: ${message}`);
}

function causeOf(err: Error): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause ? ` (${cause.code ?? cause.message ?? ''})` : '';
}
