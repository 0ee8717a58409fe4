import type http from 'node:http';
import { ScriptedServer } from './scripted-server';

/** What the fake answers next; without a queued reply it answers with `fallback`. */
export type GeminiReply =
  | { kind: 'json'; value: unknown; inputTokens?: number; outputTokens?: number }
  | { kind: 'text'; text: string }
  | { kind: 'status'; status: number; retryAfter?: string; message?: string }
  | { kind: 'slow'; ms: number; then: GeminiReply }
  | { kind: 'safety' };

export interface RecordedRequest {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: {
    contents?: { parts?: { text?: string }[] }[];
    systemInstruction?: unknown;
    generationConfig?: { responseMimeType?: string; responseJsonSchema?: unknown };
  };
}

/**
 * A real HTTP server speaking Gemini's REST `generateContent`, so the real `@google/genai` SDK runs
 * against it (its base URL pointed here). It can rate-limit, fail, stall, send bad JSON, or block.
 */
export class FakeGemini extends ScriptedServer<GeminiReply> {
  readonly requests: RecordedRequest[] = [];
  fallback: (request: RecordedRequest) => GeminiReply = () => ({
    kind: 'status',
    status: 500,
    message: 'no reply queued',
  });

  get url(): string {
    return this.origin;
  }

  protected async handle(req: http.IncomingMessage, raw: string, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'POST' || !/\/v1beta\/models\/[^/:]+:generateContent$/.test(req.url ?? '')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { code: 404, message: `no route ${req.method} ${req.url}`, status: 'NOT_FOUND' },
        }),
      );
      return;
    }
    const recorded: RecordedRequest = {
      url: req.url ?? '',
      headers: req.headers,
      body: JSON.parse(raw || '{}') as RecordedRequest['body'],
    };
    this.requests.push(recorded);
    await this.answer(this.queue.shift() ?? this.fallback(recorded), res);
  }

  private async answer(reply: GeminiReply, res: http.ServerResponse): Promise<void> {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const candidate = (text: string, finishReason = 'STOP') => ({
      candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason, index: 0 }],
    });
    switch (reply.kind) {
      case 'json':
        return send(200, {
          ...candidate(JSON.stringify(reply.value)),
          usageMetadata: {
            promptTokenCount: reply.inputTokens ?? 100,
            candidatesTokenCount: reply.outputTokens ?? 50,
            totalTokenCount: (reply.inputTokens ?? 100) + (reply.outputTokens ?? 50),
          },
        });
      case 'text':
        return send(200, {
          ...candidate(reply.text),
          usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5 },
        });
      case 'status': {
        const statusName =
          reply.status === 429 ? 'RESOURCE_EXHAUSTED' : reply.status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT';
        return send(
          reply.status,
          { error: { code: reply.status, message: reply.message ?? statusName, status: statusName } },
          reply.retryAfter ? { 'retry-after': reply.retryAfter } : {},
        );
      }
      case 'slow':
        await new Promise((r) => setTimeout(r, reply.ms));
        return this.answer(reply.then, res);
      case 'safety':
        return send(200, {
          candidates: [
            {
              finishReason: 'SAFETY',
              index: 0,
              safetyRatings: [
                { category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true },
              ],
            },
          ],
          usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 0 },
        });
    }
  }
}
