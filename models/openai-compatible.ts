import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
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

export interface OpenAiOptions {
  apiKey: string;
  model: string;
  /** OPENAI_BASE_URL: OpenAI, Ollama, vLLM, LM Studio, or the fake server in tests. */
  baseUrl?: string;
  timeoutMs?: number;
  /** DEVCREW_MODEL_RETRY_WINDOW_SECONDS, carried for the activities that ride out outages. */
  retryWindowSeconds?: number;
}

/** Any server speaking OpenAI's chat completions, with a JSON-schema response format. */
export function openAiCompatibleClient(options: OpenAiOptions): ModelClient {
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseUrl,
    timeout: options.timeoutMs ?? 120_000,
    maxRetries: 0, // Temporal's retry policy decides
  });
  const at = `at ${options.baseUrl ?? 'https://api.openai.com/v1'}`;
  const where = `OpenAI-compatible (${options.model} ${at})`;
  const scrub = (text: string) => text.split(options.apiKey).join('[redacted]');
  const failure = (err: unknown, about = where): ModelError => {
    if (err instanceof ModelError) return err;
    if (err instanceof APIConnectionTimeoutError || err instanceof APIConnectionError) {
      return new ModelError('MODEL_UNAVAILABLE', `${about} cannot be reached: ${scrub(err.message)}`);
    }
    if (err instanceof APIError && err.status !== undefined) {
      const retryAfter = err.headers?.get?.('retry-after');
      return errorForStatus(
        about,
        err.status,
        scrub(err.message).slice(0, 300),
        retryAfter,
        'OPENAI_API_KEY',
      );
    }
    return new ModelError('MODEL_UNAVAILABLE', `${about} failed: ${scrub(String(err))}`);
  };
  const lookup: ModelLookup = {
    at,
    async get(name) {
      try {
        const m = await client.models.retrieve(name);
        return { name: m.id };
      } catch (err) {
        if (err instanceof APIError && err.status === 404) return undefined;
        throw failure(err, `the OpenAI-compatible server ${at}`);
      }
    },
    async list() {
      try {
        const out: ServedModel[] = [];
        for await (const m of client.models.list()) out.push({ name: m.id });
        return out;
      } catch (err) {
        throw failure(err, `the OpenAI-compatible server ${at}`);
      }
    },
  };
  return {
    info: { provider: 'openai', name: options.model },
    lookup,
    ...(options.retryWindowSeconds !== undefined ? { retryWindowSeconds: options.retryWindowSeconds } : {}),
    async generateJson<S extends z.ZodType>(request: JsonRequest<S>): Promise<JsonAnswer<z.output<S>>> {
      let completion;
      try {
        completion = await client.chat.completions.create(
          {
            model: options.model,
            // Reasoning models (o-series, GPT-5 and later) refuse a temperature other than their default.
            ...(isReasoningModel(options.model) ? {} : { temperature: 0 }),
            messages: [
              { role: 'system', content: request.system },
              { role: 'user', content: request.prompt },
            ],
            response_format: {
              type: 'json_schema',
              json_schema: {
                name: `${request.role}_answer`,
                schema: z.toJSONSchema(request.schema, {
                  target: 'draft-2020-12',
                  unrepresentable: 'any',
                }) as Record<string, unknown>,
              },
            },
          },
          request.signal ? { signal: request.signal } : {},
        );
      } catch (err) {
        if (err instanceof APIError && err.status === 404 && modelMissing(err)) {
          const served = await lookup.list().catch(() => [] as ServedModel[]);
          throw notServedError({
            provider: 'openai',
            model: options.model,
            at,
            served,
            evidence: `chat.completions answered 404: ${scrub(err.message).slice(0, 200)}`,
          });
        }
        throw failure(err);
      }
      const choice = completion.choices[0];
      if (choice?.finish_reason === 'content_filter' || choice?.message.refusal) {
        throw new ModelError(
          'MODEL_SAFETY_BLOCK',
          `${where} refused the ${request.role} request: ${choice.message.refusal ?? 'content filter'}`,
        );
      }
      const text = choice?.message.content;
      if (!text) throw new ModelError('INVALID_AGENT_OUTPUT', `${where} sent no content`);
      return checkAnswer(where, text, request.schema, openAiUsage(completion.usage));
    },
  };
}

/**
 * OpenAI's usage as billed. `completion_tokens` already includes the reasoning tokens
 * (`completion_tokens_details.reasoning_tokens`, billed as output): they are split out, not added again.
 * A compatible server that counts them outside `completion_tokens` shows it in `total_tokens`
 * (prompt + completion + reasoning); then they are added. `prompt_tokens` includes the cached tokens.
 */
export function openAiUsage(usage: OpenAI.CompletionUsage | undefined): TokenUsage {
  const prompt = usage?.prompt_tokens ?? 0;
  const completion = usage?.completion_tokens ?? 0;
  const reasoning = usage?.completion_tokens_details?.reasoning_tokens ?? 0;
  const outside =
    reasoning > 0 && (reasoning > completion || usage?.total_tokens === prompt + completion + reasoning);
  return {
    input_tokens: prompt,
    output_tokens: outside ? completion : completion - reasoning,
    thought_tokens: reasoning,
    cached_input_tokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
  };
}

function isReasoningModel(model: string): boolean {
  return /^(o\d|gpt-([5-9]|\d{2,}))/.test(model);
}

/** OpenAI answers 404 `model_not_found`; other servers name the model in the message. */
function modelMissing(err: APIError): boolean {
  return err.code === 'model_not_found' || /model/i.test(err.message);
}
