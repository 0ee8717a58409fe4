import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ModelInfo } from '../contracts';
import type { JsonRequest } from './types';

/**
 * `sha256:<hex>` of the exact request: provider, model, instructions, material and the response schema.
 * The same hash is the response cache's key and the artifact metadata's `prompt_hash`.
 */
export function promptHash(info: ModelInfo, request: JsonRequest<z.ZodType>): string {
  const canonical = JSON.stringify({
    provider: info.provider,
    model: info.name,
    role: request.role,
    system: request.system,
    prompt: request.prompt,
    schema: z.toJSONSchema(request.schema, { target: 'draft-2020-12', unrepresentable: 'any' }),
    script: info.provider === 'scripted' ? (request.scriptKey ?? null) : null,
    temperature: 0,
    // An answer ended before its test files is another answer than the whole one.
    ...(request.endBeforeFilesUnder ? { end_before: request.endBeforeFilesUnder } : {}),
  });
  return `sha256:${createHash('sha256').update(canonical).digest('hex')}`;
}
