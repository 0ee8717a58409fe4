import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type OpenAiReply =
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'status'; status: number; retryAfter?: string; message?: string }
  | { kind: 'slow'; ms: number; then: OpenAiReply }
  | { kind: 'refusal'; text: string };

/** A real HTTP server speaking OpenAI's `POST /v1/chat/completions`, for the real `openai` SDK. */
export class FakeOpenAi {
  readonly requests: { headers: http.IncomingHttpHeaders; body: Record<string, unknown> }[] = [];
  private readonly queue: OpenAiReply[] = [];
  private server?: http.Server;

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/v1`;
  }

  reply(...replies: OpenAiReply[]): this {
    this.queue.push(...replies);
    return this;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route ${req.url}`, type: 'invalid_request_error' } }));
      return;
    }
    this.requests.push({
      headers: req.headers,
      body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>,
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
