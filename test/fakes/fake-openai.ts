import type http from 'node:http';
import { ScriptedServer } from './scripted-server';

/** Chat models OpenAI's API serves as this fake stands in for it (the models and deprecations pages of November 2026). */
export const OPENAI_SERVED = [
  'gpt-6.1-terra',
  'gpt-6.1-sol',
  'gpt-6-sol',
  'gpt-6-luna',
  'gpt-6-astra',
  'gpt-4o-mini',
];

export type OpenAiReply =
  | {
      kind: 'json';
      value: unknown;
      inputTokens?: number;
      /** completion_tokens, which for OpenAI includes the reasoning tokens. */
      outputTokens?: number;
      /** completion_tokens_details.reasoning_tokens. */
      reasoningTokens?: number;
      /** prompt_tokens_details.cached_tokens. */
      cachedTokens?: number;
      /** A compatible server that counts reasoning outside completion_tokens (total = prompt + completion + reasoning). */
      reasoningOutsideCompletion?: boolean;
    }
  | { kind: 'text'; text: string }
  | { kind: 'status'; status: number; retryAfter?: string; message?: string }
  | { kind: 'slow'; ms: number; then: OpenAiReply }
  | { kind: 'cut' }
  | { kind: 'hang' }
  | { kind: 'refusal'; text: string }
  /** A streamed answer (`stream: true`), sent in chunks as a slow local model writes it. */
  | { kind: 'stream'; text: string; chunk?: number; delayMs?: number; finish?: 'stop' | 'length' };

export interface OpenAiRequest {
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/**
 * A real HTTP server speaking OpenAI's REST API (`GET /v1/models`, `GET /v1/models/{id}`,
 * `POST /v1/chat/completions`) for the real `openai` SDK. It serves only the models in `served`.
 */
export class FakeOpenAi extends ScriptedServer<OpenAiReply> {
  readonly requests: OpenAiRequest[] = [];
  readonly lookups: string[] = [];
  /** Streamed answers the client stopped reading before their end, and how much of each it got. */
  readonly cutStreams: { sent: number; of: number }[] = [];
  readonly served: string[];
  fallback: (request: OpenAiRequest) => OpenAiReply = () => ({
    kind: 'status',
    status: 500,
    message: 'no reply queued',
  });

  constructor(options: { served?: string[] } = {}) {
    super();
    this.served = options.served ?? OPENAI_SERVED;
  }

  get url(): string {
    return `${this.origin}/v1`;
  }

  protected async handle(req: http.IncomingMessage, raw: string, res: http.ServerResponse): Promise<void> {
    const model = (id: string) => ({ id, object: 'model', created: 1_790_000_000, owned_by: 'openai' });
    const missing = (id: string) =>
      ScriptedServer.json(res, 404, {
        error: {
          message: `The model \`${id}\` does not exist or you do not have access to it.`,
          type: 'invalid_request_error',
          param: 'model',
          code: 'model_not_found',
        },
      });
    if (req.method === 'GET' && req.url === '/v1/models') {
      this.lookups.push(req.url);
      return ScriptedServer.json(res, 200, { object: 'list', data: this.served.map(model) });
    }
    const get = /^\/v1\/models\/([^/?]+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && get) {
      this.lookups.push(req.url ?? '');
      const id = decodeURIComponent(get[1]!);
      return this.served.includes(id) ? ScriptedServer.json(res, 200, model(id)) : missing(id);
    }
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      return ScriptedServer.json(res, 404, {
        error: { message: `no route ${req.url}`, type: 'invalid_request_error' },
      });
    }
    const recorded = { headers: req.headers, body: JSON.parse(raw) as Record<string, unknown> };
    this.requests.push(recorded);
    const id = String(recorded.body.model);
    if (!this.served.includes(id)) return missing(id);
    await this.answer(this.queue.shift() ?? this.fallback(recorded), req, res);
  }

  private async answer(
    reply: OpenAiReply,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<void> {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      ScriptedServer.json(res, status, body, headers);
    const completion = (
      content: string | null,
      refusal: string | null = null,
      usage: Record<string, unknown> = { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 },
    ) => ({
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: 0,
      model: 'fake',
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content, refusal } }],
      usage,
    });
    switch (reply.kind) {
      case 'json': {
        const prompt = reply.inputTokens ?? 120;
        const completionTokens = reply.outputTokens ?? 30;
        const reasoning = reply.reasoningTokens ?? 0;
        return send(
          200,
          completion(JSON.stringify(reply.value), null, {
            prompt_tokens: prompt,
            completion_tokens: completionTokens,
            total_tokens: prompt + completionTokens + (reply.reasoningOutsideCompletion ? reasoning : 0),
            prompt_tokens_details: { cached_tokens: reply.cachedTokens ?? 0, audio_tokens: 0 },
            completion_tokens_details: { reasoning_tokens: reasoning, audio_tokens: 0 },
          }),
        );
      }
      case 'text':
        return send(200, completion(reply.text));
      case 'refusal':
        return send(200, completion(null, reply.text));
      case 'status':
        return send(
          reply.status,
          { error: { message: reply.message ?? `status ${reply.status}`, type: 'fake_error' } },
          reply.retryAfter ? { 'retry-after': reply.retryAfter } : {},
        );
      case 'slow':
        await new Promise((r) => setTimeout(r, reply.ms));
        return this.answer(reply.then, req, res);
      case 'cut':
        req.socket.destroy();
        return;
      case 'hang':
        return;
      case 'stream': {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        let closed = false;
        res.on('close', () => (closed = true));
        const event = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
        const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
          id: 'chatcmpl-fake',
          object: 'chat.completion.chunk',
          created: 0,
          model: 'fake',
          choices: [{ index: 0, delta, finish_reason: finish }],
        });
        const size = reply.chunk ?? 20;
        let sent = 0;
        for (; sent < reply.text.length; sent += size) {
          if (closed) {
            this.cutStreams.push({ sent, of: reply.text.length });
            return;
          }
          event(chunk({ content: reply.text.slice(sent, sent + size) }, null));
          await new Promise((r) => setTimeout(r, reply.delayMs ?? 1));
        }
        event(chunk({}, reply.finish ?? 'stop'));
        const tokens = Math.ceil(reply.text.length / 4);
        event({
          ...chunk({}, null),
          choices: [],
          usage: { prompt_tokens: 120, completion_tokens: tokens, total_tokens: 120 + tokens },
        });
        res.end('data: [DONE]\n\n');
        return;
      }
    }
  }
}
