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
  /** Aborts the call (the activity was cancelled). */
  signal?: AbortSignal;
  /** The step's attempt (Temporal's): a retried call is asked differently, not the same way again. */
  attempt?: number;
  /**
   * Set when the answer is files (Coder, Debugger, single agent): a client that does better with plain
   * text (a small local model) asks for file blocks and builds the value with `toValue`; the schema
   * still checks it. Other clients ignore it.
   */
  files?: { toValue(files: { path: string; content: string }[]): unknown };
  /** A fix round: sample a little (a model that may copy its input back is asked not to be greedy). */
  vary?: boolean;
  /**
   * File answers only: where a file whose path starts so would begin, once a whole file came before it,
   * the answer ends there (a client that streams stops generating; others keep the files before it).
   */
  endBeforeFilesUnder?: string;
}

/**
 * The tokens one call was billed for, the same way for every provider. `input_tokens` counts the whole
 * prompt, `cached_input_tokens` the part of it read from the provider's prompt cache; `output_tokens` is the
 * answer and `thought_tokens` the thinking (Gemini) or reasoning (OpenAI) billed at the output rate besides.
 */
export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  thought_tokens?: number;
  cached_input_tokens?: number;
}

/** A model as the provider lists it. */
export interface ServedModel {
  /** The id to put in DEVCREW_MODEL, e.g. `gemini-3.8-flash` (without Gemini's `models/` prefix). */
  name: string;
  displayName?: string;
  /** False when the provider says the model cannot answer our kind of request (Gemini: no generateContent). */
  generates?: boolean;
  /** How the lookup found it when not the single-model route, e.g. `models.list` (llama.cpp has no `GET /models/{id}`). */
  foundBy?: string;
}

/** The provider's own model lookup, through its SDK: Gemini `models.get`/`models.list`, OpenAI `models.retrieve`/`models.list`. */
export interface ModelLookup {
  /** Where it asks, for messages: "at https://generativelanguage.googleapis.com", "at http://127.0.0.1:11434/v1". */
  readonly at: string;
  /** The model as the provider describes it, or undefined when the provider answers that it does not serve it (404). */
  get(name: string): Promise<ServedModel | undefined>;
  list(): Promise<ServedModel[]>;
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
  /** Requests the answer took: 2 when it needed a repair request; 1 when absent. */
  requests?: number;
  /** Why the first answer was refused, when the answer came on a repair request. */
  refused?: string;
}

/**
 * One small interface over every provider: ask for JSON matching a zod schema, get it validated, with
 * token usage. Errors are ModelError with a code that says whether to retry.
 */
export interface ModelClient {
  readonly info: ModelInfo;
  generateJson<S extends z.ZodType>(request: JsonRequest<S>): Promise<JsonAnswer<z.output<S>>>;
  /** The provider's model list and lookup; absent for the scripted test double. */
  readonly lookup?: ModelLookup;
  /** How long transient provider errors are ridden out, from the first attempt of a step (DEVCREW_MODEL_RETRY_WINDOW_SECONDS). */
  readonly retryWindowSeconds?: number;
}

export type ModelErrorCode =
  | 'MODEL_RATE_LIMITED'
  | 'MODEL_UNAVAILABLE'
  | 'MODEL_NOT_FOUND'
  | 'MODEL_RETRY_WINDOW_EXCEEDED'
  | 'MODEL_BAD_REQUEST'
  | 'MODEL_SAFETY_BLOCK'
  | 'MODEL_ANSWER_RAN_AWAY'
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
