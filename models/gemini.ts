import type * as GenAI from '@google/genai' with { 'resolution-mode': 'import' };
import { z } from 'zod';
import { checkAnswer, errorForStatus } from './json-answer';
import { ModelError, type JsonAnswer, type JsonRequest, type ModelClient } from './types';

// The package ships CommonJS for Node, but its type map points TypeScript at the ESM build only.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ApiError, GoogleGenAI } = require('@google/genai') as typeof GenAI;

export interface GeminiOptions {
  apiKey: string;
  model: string;
  /** GEMINI_BASE_URL: a proxy, or the fake server in tests. */
  baseUrl?: string;
  timeoutMs?: number;
}

/**
 * Gemini through Google's current SDK, `@google/genai` (the older `@google/generative-ai` was archived
 * and lost support on 2025-08-31). Structured output: JSON mime type plus a response schema derived
 * from the zod contract. The SDK's own retries are off: Temporal's retry policy decides.
 */
export function geminiClient(options: GeminiOptions): ModelClient {
  const scrub = (text: string) => text.split(options.apiKey).join('[redacted]');
  return {
    info: { provider: 'gemini', name: options.model },
    async generateJson<S extends z.ZodType>(request: JsonRequest<S>): Promise<JsonAnswer<z.output<S>>> {
      let retryAfter: string | null = null;
      const ai = new GoogleGenAI({
        apiKey: options.apiKey,
        httpOptions: {
          ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
          timeout: options.timeoutMs ?? 120_000,
          retryOptions: { attempts: 1 },
          // Only to read Retry-After, which the SDK's ApiError does not carry.
          fetch: async (input, init) => {
            const res = await fetch(input, init);
            retryAfter = res.headers.get('retry-after');
            return res;
          },
        },
      });
      const where = `Gemini (${options.model} at ${options.baseUrl ?? 'the Gemini API'})`;
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
            temperature: 0,
          },
        });
      } catch (err) {
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
      const usage = {
        input_tokens: response.usageMetadata?.promptTokenCount ?? 0,
        output_tokens: response.usageMetadata?.candidatesTokenCount ?? 0,
      };
      return checkAnswer(where, text, request.schema, usage);
    },
  };
}

function toModelError(
  where: string,
  err: unknown,
  retryAfter: string | null,
  scrub: (t: string) => string,
): ModelError {
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
