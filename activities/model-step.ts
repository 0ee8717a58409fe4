import type { z } from 'zod';
import type { ModelInfo, ModelUsage } from '../contracts';
import { costOf } from '../models/prices';
import { promptHash } from '../models/prompt-hash';
import type { ModelRole } from '../models/types';
import { promptFor } from '../prompts';
import type { ActivityDeps } from './deps';
import { stableTimestamp, type StepProvenance } from './provenance';

export interface ModelStep<T> {
  value: T;
  usage: ModelUsage;
  model: ModelInfo;
  /** Provenance for the commit that stores this answer (the run and task are added by `provenance`). */
  provenance: StepProvenance;
}

/** One agent's model call: its versioned prompt, the answer validated, usage priced, provenance ready. */
export async function askModel<S extends z.ZodType>(
  deps: ActivityDeps,
  call: { role: ModelRole; prompt: string; schema: S; scriptKey?: string },
): Promise<ModelStep<z.output<S>>> {
  const system = promptFor(call.role);
  const request = {
    role: call.role,
    system: system.text,
    prompt: call.prompt,
    schema: call.schema,
    scriptKey: call.scriptKey,
  };
  const answer = await deps.model.generateJson(request);
  const model = deps.model.info;
  const cost = answer.cached ? 0 : costOf(deps.prices, model, answer.usage);
  return {
    value: answer.value,
    model,
    usage: {
      calls: answer.cached ? 0 : 1,
      cache_hits: answer.cached ? 1 : 0,
      input_tokens: answer.cached ? 0 : answer.usage.input_tokens,
      output_tokens: answer.cached ? 0 : answer.usage.output_tokens,
      cost_usd: cost,
    },
    provenance: {
      agent_role: call.role,
      agent_version: system.version,
      prompt_hash: answer.prompt_hash ?? promptHash(model, request),
      model_name: model.provider === 'scripted' ? 'scripted' : `${model.provider}/${model.name}`,
      timestamp: stableTimestamp(),
    },
  };
}
