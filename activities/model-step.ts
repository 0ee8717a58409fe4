import type { Context } from '@temporalio/activity';
import { activityContext, heartbeating } from './context';
import type { z } from 'zod';
import type { ModelInfo, ModelUsage } from '../contracts';
import { evidenceOf, isErrorCode } from '../contracts/error-codes';
import { DevcrewError } from '../core/errors';
import { costOf } from '../models/prices';
import { promptHash } from '../models/prompt-hash';
import { decideRetry, PROVIDER_WAIT_TYPES } from '../models/retry-window';
import { ModelError, type JsonRequest, type ModelRole } from '../models/types';
import { promptFor, type PromptVariant } from '../prompts';
import type { ActivityDeps } from './deps';
import { toActivityFailure } from './failures';
import { stableTimestamp, type StepProvenance } from './provenance';

export interface ModelStep<T> {
  value: T;
  usage: ModelUsage;
  model: ModelInfo;
  /** Provenance for the commit that stores this answer (the run and task are added by `provenance`). */
  provenance: StepProvenance;
  /** Why the model's first answer was refused, when this one came on a repair request. */
  refused?: string;
}

/** Heartbeats during a model call this often, so a dead worker's call is retried after the heartbeat timeout. */
const HEARTBEAT_EVERY_MS = 5_000;
/** Without a configured window (tests building clients by hand): five minutes. */
const DEFAULT_WINDOW_SECONDS = 300;

/**
 * One agent's model call: its versioned prompt, the answer validated, every billed token priced,
 * provenance ready. Inside an activity it heartbeats while waiting and turns a transient provider error
 * into a retry within DEVCREW_MODEL_RETRY_WINDOW_SECONDS (models/retry-window.ts).
 */
export async function askModel<S extends z.ZodType>(
  deps: ActivityDeps,
  call: {
    role: ModelRole;
    prompt: string;
    schema: S;
    scriptKey?: string;
    files?: JsonRequest<S>['files'];
    vary?: boolean;
    endBeforeFilesUnder?: string;
    /** Which of the role's prompts (see promptFor); the role's own by default. */
    variant?: PromptVariant;
  },
): Promise<ModelStep<z.output<S>>> {
  const system = promptFor(call.role, call.variant);
  const context = activityContext();
  const request = {
    role: call.role,
    system: system.text,
    prompt: call.prompt,
    schema: call.schema,
    scriptKey: call.scriptKey,
    ...(call.files ? { files: call.files } : {}),
    ...(call.vary ? { vary: true } : {}),
    ...(call.endBeforeFilesUnder ? { endBeforeFilesUnder: call.endBeforeFilesUnder } : {}),
    ...(context ? { signal: context.cancellationSignal, attempt: context.info.attempt } : {}),
  };
  const started = Date.now();
  const answer = await whileHeartbeating(context, () => deps.model.generateJson(request)).catch(
    (err: unknown) => {
      // A cancelled step is not a provider failure: Temporal knows it was cancelled.
      if (!context || context.cancellationSignal.aborted) throw err;
      throw providerFailure(err, context, deps.model.retryWindowSeconds);
    },
  );
  const model = deps.model.info;
  const priced = answer.cached
    ? { cost_usd: 0, price_known: true }
    : costOf(deps.prices, model, answer.usage);
  const billed = !answer.cached;
  // Time a model spent answering: none for a cached answer, and none for the scripted double,
  // which is a recording and not a model at work.
  const modelSeconds = billed && model.provider !== 'scripted' ? (Date.now() - started) / 1000 : 0;
  deps.metrics?.modelCall({
    role: call.role,
    provider: model.provider,
    cached: !billed,
    costUsd: priced.cost_usd,
  });
  return {
    value: answer.value,
    model,
    ...(answer.refused ? { refused: answer.refused } : {}),
    usage: {
      calls: billed ? (answer.requests ?? 1) : 0,
      cache_hits: billed ? 0 : 1,
      input_tokens: billed ? answer.usage.input_tokens : 0,
      output_tokens: billed ? answer.usage.output_tokens : 0,
      thought_tokens: billed ? (answer.usage.thought_tokens ?? 0) : 0,
      cached_input_tokens: billed ? (answer.usage.cached_input_tokens ?? 0) : 0,
      cost_usd: priced.cost_usd,
      unpriced_calls: billed && !priced.price_known ? 1 : 0,
      model_seconds: Math.round(modelSeconds * 1000) / 1000,
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

/** A transient provider error becomes a retry within the window, or a clear failure after it. */
function providerFailure(err: unknown, context: Context, windowSeconds = DEFAULT_WINDOW_SECONDS): unknown {
  // Only the provider's own failures wait in the window; any other (an answer that ran away, which is
  // the model's) is bounded by the step's attempts, its task's max_retries (failures.ts).
  if (!(err instanceof ModelError) || !isProviderWait(err.code)) return err;
  const { attempt, scheduledTimestampMs } = context.info;
  const decision = decideRetry({
    error: {
      type: err.code,
      message: err.message,
      retryable: true,
      provider: true,
      ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
    },
    clock: { attempt, firstScheduledMs: scheduledTimestampMs, nowMs: Date.now() },
    windowSeconds,
    maxRetries: 0,
  });
  context.log.warn('model provider failed', { type: err.code, attempt, retry: decision.retry });
  // The decision keeps the provider's code (retryable in the catalogue) or gives up with
  // MODEL_RETRY_WINDOW_EXCEEDED (not retryable): the catalogue and the decision agree.
  const code = isErrorCode(decision.type) ? decision.type : err.code;
  return toActivityFailure(
    new DevcrewError(code, evidenceOf(decision.message, code), undefined, {
      // For whoever shows the run (server/provider-wait.ts): since when this step has been waiting.
      fields: { waiting_since: new Date(scheduledTimestampMs).toISOString(), window_seconds: windowSeconds },
      ...(decision.retry && decision.nextRetryDelayMs !== undefined
        ? { retryAfterMs: decision.nextRetryDelayMs }
        : {}),
    }),
  );
}

/** The model call, heartbeating with what it waits for (a third of the heartbeat timeout, at most every 2 s). */
function whileHeartbeating<T>(context: Context | undefined, fn: () => Promise<T>): Promise<T> {
  const timeout = context?.info.heartbeatTimeoutMs;
  if (!timeout) return fn();
  return heartbeating(fn, Math.min(HEARTBEAT_EVERY_MS, timeout / 3), { waiting_for: 'model' });
}

const isProviderWait = (code: string) => (PROVIDER_WAIT_TYPES as readonly string[]).includes(code);
