import type { z } from 'zod';
import type { ModelInfo, ModelRole } from '../contracts';
import { DevcrewError } from '../core/errors';

export type { ModelRole } from '../contracts';

export interface JsonRequest<S extends z.ZodType> {
  role: ModelRole;
  /** The agent's standing instructions (versioned prompt file). */
  system: string;
  /** This call's material: the request, the task, the failing report... */
  prompt: string;
  /** The answer must match this schema; it also becomes the provider's response schema. */
  schema: S;
  /** Key of the scripted recording (the request the run serves), ignored by real models. */
  scriptKey?: string;
}

export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
}

export interface JsonAnswer<T> {
  value: T;
  usage: TokenUsage;
  /** The exact text the model sent. */
  raw: string;
  /** Answered from the response cache (no model call, no cost). */
  cached?: boolean;
  /** `sha256:` of the exact request (see prompt-hash.ts). */
  prompt_hash?: string;
}

/**
 * One small interface over every provider: ask for JSON matching a zod schema, get it validated, with
 * token usage. Errors are ModelError with a code that says whether to retry.
 */
export interface ModelClient {
  readonly info: ModelInfo;
  generateJson<S extends z.ZodType>(request: JsonRequest<S>): Promise<JsonAnswer<z.output<S>>>;
}

export type ModelErrorCode =
  | 'MODEL_RATE_LIMITED'
  | 'MODEL_UNAVAILABLE'
  | 'MODEL_BAD_REQUEST'
  | 'MODEL_SAFETY_BLOCK'
  | 'INVALID_AGENT_OUTPUT';

/** A model call that failed; whether to retry comes from the error catalogue (contracts/error-codes.ts). */
export class ModelError extends DevcrewError {
  override name = 'ModelError';
  declare readonly code: ModelErrorCode;
  constructor(
    code: ModelErrorCode,
    message: string,
    /** From Retry-After, when the provider said how long to wait. */
    retryAfterMs?: number,
  ) {
    super(code, message, undefined, retryAfterMs !== undefined ? { retryAfterMs } : {});
  }
  get retryAfterMs(): number | undefined {
    return this.extra.retryAfterMs;
  }
}
