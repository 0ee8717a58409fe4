import fs from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { writeFileAtomic } from '../core/files';
import { checkAnswer } from './json-answer';
import { promptHash } from './prompt-hash';
import type { JsonAnswer, JsonRequest, ModelClient } from './types';

export interface CacheStats {
  hits: number;
  misses: number;
}

/**
 * Answers kept on disk by prompt hash, shared by every run: an identical request is answered from the
 * cache with zero model calls. Entries are written atomically (rename) so a crash leaves none half-written.
 */
export function cachedModel(inner: ModelClient, dir: string): ModelClient & { stats: CacheStats } {
  const stats: CacheStats = { hits: 0, misses: 0 };
  return {
    info: inner.info,
    ...(inner.lookup ? { lookup: inner.lookup } : {}),
    ...(inner.retryWindowSeconds !== undefined ? { retryWindowSeconds: inner.retryWindowSeconds } : {}),
    stats,
    async generateJson<S extends z.ZodType>(request: JsonRequest<S>): Promise<JsonAnswer<z.output<S>>> {
      const hash = promptHash(inner.info, request);
      const file = path.join(
        dir,
        hash.slice('sha256:'.length, 'sha256:'.length + 2),
        `${hash.slice(7)}.json`,
      );
      const stored = await fs.readFile(file, 'utf8').catch(() => undefined);
      if (stored !== undefined) {
        const entry = JSON.parse(stored) as { raw: string };
        try {
          const answer = checkAnswer(`cache ${file}`, entry.raw, request.schema, {
            input_tokens: 0,
            output_tokens: 0,
          });
          stats.hits++;
          return { ...answer, cached: true, prompt_hash: hash };
        } catch {
          // A cached answer the current schema refuses is stale: ask again.
        }
      }
      stats.misses++;
      const answer = await inner.generateJson(request);
      await fs.mkdir(path.dirname(file), { recursive: true });
      // Two runs asking the same thing at once each write whole; the last one stays.
      await writeFileAtomic(
        file,
        JSON.stringify({ prompt_hash: hash, model: inner.info, raw: answer.raw, usage: answer.usage }),
      );
      return { ...answer, cached: false, prompt_hash: hash };
    },
  };
}
