import { createHash } from 'node:crypto';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { z } from 'zod';
import { keptOfCutAnswer, parseFileBlocks, withFileBlocksFormat } from './file-blocks';
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
import type { ModelProvider, ModelRole } from '../contracts';

export interface OpenAiOptions {
  /** Which provider this server is to devcrew: `openai` (OPENAI_BASE_URL) or `local` (llama.cpp, Ollama...). */
  provider?: Exclude<ModelProvider, 'gemini' | 'scripted'>;
  apiKey: string;
  model: string;
  /** OPENAI_BASE_URL: OpenAI, Ollama, vLLM, LM Studio, or the fake server in tests. */
  baseUrl?: string;
  timeoutMs?: number;
  /** DEVCREW_MODEL_RETRY_WINDOW_SECONDS, carried for the activities that ride out outages. */
  retryWindowSeconds?: number;
  /** `max_tokens` per role: every answer ends, and one that runs past its cap is asked again, shorter. */
  outputCaps?: Partial<Record<ModelRole, number>>;
  /** Stream answers (a local model): no HTTP timeout while a slow model writes, runaways cut early. */
  stream?: boolean;
  /** Ask for files as plain file blocks, not JSON strings (a small local model: file-blocks.ts). */
  plainFiles?: boolean;
}

/** Any server speaking OpenAI's chat completions, with a JSON-schema response format. */
export function openAiCompatibleClient(options: OpenAiOptions): ModelClient {
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseUrl,
    timeout: options.timeoutMs ?? 120_000,
    maxRetries: 0, // Temporal's retry policy decides
  });
  const provider = options.provider ?? 'openai';
  const at = `at ${options.baseUrl ?? 'https://api.openai.com/v1'}`;
  const where =
    provider === 'local'
      ? `the local model (${options.model} ${at})`
      : `OpenAI-compatible (${options.model} ${at})`;
  const timeoutS = (options.timeoutMs ?? 120_000) / 1000;
  const scrub = (text: string) => text.split(options.apiKey).join('[redacted]');
  const failure = (err: unknown, about = where): ModelError => {
    if (err instanceof ModelError) return err;
    if (err instanceof APIConnectionTimeoutError) {
      // The server took the request and did not finish in time: slow, not unreachable.
      return new ModelError(
        'MODEL_UNAVAILABLE',
        `${about} did not finish answering within ${timeoutS} s (DEVCREW_MODEL_TIMEOUT_SECONDS); it was reachable`,
      );
    }
    if (err instanceof APIConnectionError) {
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
        if (!(err instanceof APIError && (err.status === 404 || err.status === 405)))
          throw failure(err, `the OpenAI-compatible server ${at}`);
      }
      // llama.cpp's server, vLLM and LM Studio have no `GET /models/{id}`: the list decides.
      const listed = await lookup.list();
      const found = listed.find((m) => m.name === name);
      return found && { ...found, foundBy: 'models.list, as the server has no GET /models/{id}' };
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
  type Body = OpenAI.ChatCompletionCreateParamsNonStreaming;
  interface Answered {
    text: string;
    usage: TokenUsage;
    finish: string | null | undefined;
    refusal?: string | null;
  }

  /** One answer in one response. */
  async function whole(body: Body, signal?: AbortSignal): Promise<Answered> {
    const completion = await client.chat.completions.create(body, signal ? { signal } : {});
    const choice = completion.choices[0];
    return {
      text: choice?.message.content ?? '',
      usage: openAiUsage(completion.usage),
      finish: choice?.finish_reason,
      refusal: choice?.message.refusal,
    };
  }

  /**
   * The answer as it is generated (a local model on a CPU may take minutes, longer than an HTTP client
   * waits for a silent response): cut as soon as it starts repeating itself.
   */
  async function streamed(body: Body, signal?: AbortSignal, endBefore?: string): Promise<Answered> {
    const stream = await client.chat.completions.create(
      { ...body, stream: true, stream_options: { include_usage: true } },
      signal ? { signal } : {},
    );
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | undefined;
    let checkedAt = 0;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta?.content) text += choice.delta.content;
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
      const end = endBefore ? endOfFilesBefore(text, endBefore) : undefined;
      if (end !== undefined) {
        // The files asked for are written; what follows is not wanted, so it is not generated.
        stream.controller.abort();
        text = text.slice(0, end);
        finish = 'stop';
        break;
      }
      if (text.length - checkedAt >= 200) {
        checkedAt = text.length;
        if (repeats(text)) {
          stream.controller.abort();
          finish = LOOPING;
          break;
        }
      }
    }
    const counted = openAiUsage(usage);
    // A stream cut short reports no usage: the lengths of the answer and of the messages sent stand in
    // for their tokens (about 4 characters each), so a cut answer's prompt is not counted as free.
    if (!usage) {
      counted.output_tokens = Math.ceil(text.length / 4);
      const sent = body.messages.reduce(
        (n, m) => n + (typeof m.content === 'string' ? m.content.length : 0),
        0,
      );
      counted.input_tokens = Math.ceil(sent / 4);
    }
    return { text, usage: counted, finish };
  }

  return {
    info: { provider, name: options.model },
    lookup,
    ...(options.retryWindowSeconds !== undefined ? { retryWindowSeconds: options.retryWindowSeconds } : {}),
    async generateJson<S extends z.ZodType>(request: JsonRequest<S>): Promise<JsonAnswer<z.output<S>>> {
      const cap = options.outputCaps?.[request.role];
      const first = await complete(request, cap);
      if (first.ok) return first.answer;
      // One repair, asked differently: the problem said, a tighter cap when it ran away.
      const second = await complete(
        request,
        cap && first.ranAway ? Math.round(cap * 0.75) : cap,
        first.repair,
      );
      const usage = addUsage(first.usage, second.ok ? second.answer.usage : second.usage);
      if (second.ok) return { ...second.answer, usage, requests: 2, refused: first.problem };
      // A loop is the sampling's, not the request's: Temporal's next attempt samples with another seed.
      throw new ModelError(
        second.ranAway ? 'MODEL_ANSWER_RAN_AWAY' : 'INVALID_AGENT_OUTPUT',
        `${second.problem} (after one repair request)`,
      );
    },
  };

  type Attempt<T> =
    | { ok: true; answer: JsonAnswer<T> }
    | { ok: false; usage: TokenUsage; ranAway: boolean; problem: string; repair: string };

  /** One chat completion, its answer checked; a runaway or unreadable answer says what to ask next. */
  async function complete<S extends z.ZodType>(
    request: JsonRequest<S>,
    cap: number | undefined,
    repair?: string,
  ): Promise<Attempt<z.output<S>>> {
    const retried = (request.attempt ?? 1) > 1 || repair !== undefined;
    const asFiles = request.files !== undefined && options.plainFiles === true;
    // A sampled call is seeded from what it asks, so the same question on the same server gets the
    // same answer: a run can be replayed, and two runs differ only where their inputs do.
    const sampling = (temperature: number) =>
      temperature === 0
        ? { temperature }
        : { temperature, seed: seedOf(request.system, request.prompt, request.attempt ?? 1, repair ?? '') };
    const body = {
      model: options.model,
      // Reasoning models (o-series, GPT-5 and later) refuse a temperature other than their default.
      // A repair or a retried step samples a little, so it is not the same answer again.
      ...(isReasoningModel(options.model) ? {} : sampling(request.vary ? 0.6 : retried ? 0.4 : 0)),
      ...(cap ? { max_tokens: cap } : {}),
      messages: [
        { role: 'system' as const, content: asFiles ? withFileBlocksFormat(request.system) : request.system },
        { role: 'user' as const, content: request.prompt },
        ...(repair ? [{ role: 'user' as const, content: repair }] : []),
      ],
      ...(asFiles
        ? {}
        : {
            response_format: {
              type: 'json_schema' as const,
              json_schema: {
                name: `${request.role.replace(/[^A-Za-z0-9_]/g, '_')}_answer`,
                schema: z.toJSONSchema(request.schema, {
                  target: 'draft-2020-12',
                  unrepresentable: 'any',
                }) as Record<string, unknown>,
              },
            },
          }),
    };
    let answered: Answered;
    const sent = Date.now();
    try {
      const endBefore = asFiles ? request.endBeforeFilesUnder : undefined;
      answered = options.stream
        ? await streamed(body, request.signal, endBefore)
        : await whole(body, request.signal);
    } catch (err) {
      const waited = (Date.now() - sent) / 1000;
      if (err instanceof APIConnectionTimeoutError && waited < timeoutS - 5) {
        // Not our timeout: Node's fetch gives up on a response whose headers have not come in 300 s.
        throw new ModelError(
          'MODEL_UNAVAILABLE',
          `${where} sent no response for ${Math.round(waited)} s and the connection was given up (Node's HTTP client waits 300 s for a response to start); the server is busy: more requests at once than its slots (DEVCREW_MODEL_SERVER_SLOTS), or a long prompt on a loaded CPU`,
        );
      }
      if (err instanceof APIError && err.status === 404 && modelMissing(err)) {
        const served = await lookup.list().catch(() => [] as ServedModel[]);
        throw notServedError({
          provider,
          model: options.model,
          at,
          served,
          evidence: `chat.completions answered 404: ${scrub(err.message).slice(0, 200)}`,
        });
      }
      throw failure(err);
    }
    if (answered.finish === 'content_filter' || answered.refusal) {
      throw new ModelError(
        'MODEL_SAFETY_BLOCK',
        `${where} refused the ${request.role} request: ${answered.refusal ?? 'content filter'}`,
      );
    }
    const { usage } = answered;
    let text = answered.text;
    const endsAt =
      asFiles && request.endBeforeFilesUnder
        ? endOfFilesBefore(text, request.endBeforeFilesUnder)
        : undefined;
    if (endsAt !== undefined) text = text.slice(0, endsAt);
    const choice = { finish_reason: answered.finish };
    const cut = choice?.finish_reason === 'length' || choice?.finish_reason === LOOPING;
    // Files asked as blocks: what was complete when the answer was cut is kept (a test file up to its
    // last whole function); the tests judge it like any answer.
    const kept = cut && asFiles ? keptOfCutAnswer(text) : undefined;
    if (kept) text = kept;
    else if (cut) {
      const looping = choice.finish_reason === LOOPING;
      return {
        ok: false,
        usage,
        ranAway: true,
        problem: looping
          ? `${where}'s ${request.role} answer was cut after ${usage.output_tokens} tokens: it kept repeating ${JSON.stringify((loopOf(text) ?? '').slice(0, 80))}`
          : `${where}'s ${request.role} answer ran past its cap of ${cap ?? usage.output_tokens} tokens without ending; it ended with ${JSON.stringify(text.slice(-160))}`,
        repair: `Your previous answer was cut off after ${usage.output_tokens} tokens${looping ? ' because it kept repeating itself' : ''}. Answer again ${asFiles ? 'with the same files' : 'with the same JSON shape'}, much shorter: short code, no repetition, no commentary.`,
      };
    }
    if (!text) {
      return {
        ok: false,
        usage,
        ranAway: false,
        problem: `${where} sent no content`,
        repair: asFiles
          ? 'Answer with the files, each as FILE: <path> and a fenced block.'
          : 'Answer with the JSON object asked for.',
      };
    }
    if (asFiles) {
      const files = parseFileBlocks(text);
      if (files.length === 0) {
        return {
          ok: false,
          usage,
          ranAway: false,
          problem: `${where}'s ${request.role} answer has no file (no "FILE: <path>" line followed by a fenced block); first 200 characters: ${JSON.stringify(text.slice(0, 200))}`,
          repair:
            'Your previous answer had no file in the asked form. Give every file as a line FILE: <path> followed by the whole file in a ```python fenced block.',
        };
      }
      text = JSON.stringify(request.files!.toValue(files));
    }
    try {
      return { ok: true, answer: checkAnswer(where, text, request.schema, usage) };
    } catch (err) {
      if (!(err instanceof ModelError)) throw err;
      return {
        ok: false,
        usage,
        ranAway: false,
        problem: err.evidence,
        repair: `Your previous answer could not be used: ${err.message.slice(0, 600)}\n${asFiles ? 'Answer again with the files, each as FILE: <path> and a fenced block.' : 'Answer again with one JSON object of the asked shape.'}`,
      };
    }
  }
}

/**
 * Where a file answer (FILE: blocks) has written a whole file and starts one under `prefix`: the index
 * of that `FILE:` line, or undefined (no such line yet, or no whole file before it).
 */
export function endOfFilesBefore(text: string, prefix: string): number | undefined {
  const at = text.search(
    new RegExp(`^FILE:\\s*(\\./)?${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'),
  );
  if (at < 0) return undefined;
  return parseFileBlocks(text.slice(0, at)).length > 0 ? at : undefined;
}

/** The finish of a streamed answer cut because it was looping (not a provider's own reason). */
const LOOPING = 'devcrew:looping';

/**
 * Whether an answer has fallen into a loop: its end is one stretch of text repeated back to back, at
 * least three times and over at least 400 characters (a 30-character line 14 times, a 150-character
 * block 3 times). Similar lines, such as a test's asserts on one function, are not identical
 * back-to-back copies and do not count.
 */
export function repeats(text: string): boolean {
  return loopOf(text) !== undefined;
}

/** The text a looping answer repeats (its last period, or its last growing line), or undefined. */
export function loopOf(text: string): string | undefined {
  return periodOf(text) ?? growingLineOf(text);
}

/**
 * A loop whose copies are not identical: the answer's last 8 lines each longer than the one before,
 * with the same indentation, beginning and end, such as a test asserting on ever longer lists
 * (`f([1.0, 2.0, 3.0]) == 1.0`, `f([1.0, 2.0, 3.0, 4.0]) == 1.0`, ...) until the cap: what the local
 * model wrote for HumanEval/4. Returns the last of them.
 */
function growingLineOf(text: string): string | undefined {
  const lines = text
    .slice(-4000, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l.trim())
    .slice(-GROWING_LINES);
  if (lines.length < GROWING_LINES) return undefined;
  const indent = (l: string) => l.length - l.trimStart().length;
  for (let i = 1; i < lines.length; i++) {
    if (lines[i]!.length <= lines[i - 1]!.length || indent(lines[i]!) !== indent(lines[0]!)) return undefined;
  }
  const first = lines[0]!;
  let prefix = first.length;
  let suffix = first.length;
  for (const l of lines.slice(1)) {
    let p = 0;
    while (p < prefix && l[p] === first[p]) p++;
    prefix = p;
    let q = 0;
    while (q < suffix && l[l.length - 1 - q] === first[first.length - 1 - q]) q++;
    suffix = q;
  }
  return prefix - indent(first) >= 12 && suffix >= 3 ? lines.at(-1)!.trim() : undefined;
}
const GROWING_LINES = 8;

function periodOf(text: string): string | undefined {
  const n = text.length;
  for (let period = 8; period <= 400; period++) {
    const span = Math.max(3 * period, 400);
    if (span > n) break;
    let i = n - span;
    while (i < n - period && text.charCodeAt(i) === text.charCodeAt(i + period)) i++;
    if (i === n - period) return text.slice(n - period);
  }
  return undefined;
}

function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    input_tokens: a.input_tokens + b.input_tokens,
    output_tokens: a.output_tokens + b.output_tokens,
    thought_tokens: (a.thought_tokens ?? 0) + (b.thought_tokens ?? 0),
    cached_input_tokens: (a.cached_input_tokens ?? 0) + (b.cached_input_tokens ?? 0),
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

/** A 31-bit sampling seed from the call's own words (any provider accepting `seed` takes it as an int). */
export function seedOf(...parts: (string | number)[]): number {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  return digest.readUInt32BE(0) & 0x7fffffff;
}
