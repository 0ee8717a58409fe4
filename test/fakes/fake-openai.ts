import type http from 'node:http';
import { ScriptedServer } from './scripted-server';

export type OpenAiReply =
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'status'; status: number; retryAfter?: string; message?: string }
  | { kind: 'slow'; ms: number; then: OpenAiReply }
  | { kind: 'refusal'; text: string };

/** A real HTTP server speaking OpenAI's `POST /v1/chat/completions`, for the real `openai` SDK. */
export class FakeOpenAi extends ScriptedServer<OpenAiReply> {
  readonly requests: { headers: http.IncomingHttpHeaders; body: Record<string, unknown> }[] = [];

  get url(): string {
    return `${this.origin}/v1`;
  }

  protected async handle(req: http.IncomingMessage, raw: string, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route ${req.url}`, type: 'invalid_request_error' } }));
      return;
    }
    this.requests.push({
      headers: req.headers,
      body: JSON.parse(raw) as Record<string, unknown>,
    });
    await this.answer(this.queue.shift() ?? { kind: 'status', status: 500, message: 'no reply queued' }, res);
  }

  private async answer(reply: OpenAiReply, res: http.ServerResponse): Promise<void> {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const completion = (content: string | null, refusal: string | null = null) => ({
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: 0,
      model: 'fake',
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content, refusal } }],
      usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 },
    });
    switch (reply.kind) {
      case 'json':
        return send(200, completion(JSON.stringify(reply.value)));
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
        return this.answer(reply.then, res);
    }
  }
}
