import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { z } from 'zod';
import { checkAnswer, errorForStatus } from './json-answer';
import { ModelError, type JsonAnswer, type JsonRequest, type ModelClient } from './types';

export interface OpenAiOptions {
  apiKey: string;
  model: string;
  /** OPENAI_BASE_URL: OpenAI, Ollama, vLLM, LM Studio, or the fake server in tests. */
  baseUrl?: string;
  timeoutMs?: number;
}

/** Any server speaking OpenAI's chat completions, with a JSON-schema response format. */
export function openAiCompatibleClient(options: OpenAiOptions): ModelClient {
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseUrl,
    timeout: options.timeoutMs ?? 120_000,
    maxRetries: 0, // Temporal's retry policy decides
  });
  const where = `OpenAI-compatible (${options.model} at ${options.baseUrl ?? 'api.openai.com'})`;
  const scrub = (text: string) => text.split(options.apiKey).join('[redacted]');
  return {
    info: { provider: 'openai', name: options.model },
    async generateJson<S extends z.ZodType>(request: JsonRequest<S>): Promise<JsonAnswer<z.output<S>>> {
      let completion;
      try {
        completion = await client.chat.completions.create({
          model: options.model,
          temperature: 0,
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
        });
      } catch (err) {
        if (err instanceof APIConnectionTimeoutError || err instanceof APIConnectionError) {
          throw new ModelError('MODEL_UNAVAILABLE', `${where} cannot be reached: ${scrub(err.message)}`);
        }
        if (err instanceof APIError && err.status !== undefined) {
          const retryAfter = err.headers?.get?.('retry-after');
          throw errorForStatus(
            where,
            err.status,
            scrub(err.message).slice(0, 300),
            retryAfter,
            'OPENAI_API_KEY',
          );
        }
        throw new ModelError('MODEL_UNAVAILABLE', `${where} failed: ${scrub(String(err))}`);
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
      const usage = {
        input_tokens: completion.usage?.prompt_tokens ?? 0,
        output_tokens: completion.usage?.completion_tokens ?? 0,
      };
      return checkAnswer(where, text, request.schema, usage);
    },
  };
}
