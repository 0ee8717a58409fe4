import type http from 'node:http';
import { ScriptedServer } from './scripted-server';

/**
 * The text models Google's Gemini API serves as this fake stands in for it (the deprecations and models
 * pages of November 2026): the 2.0 models are shut down and answer 404, as does any name not listed.
 */
export const GEMINI_SERVED = [
  'gemini-3.8-flash',
  'gemini-3.7-flash',
  'gemini-3.6-flash',
  'gemini-3.5-flash',
  'gemini-3.5-flash-lite',
  'gemini-3.1-flash-lite',
  'gemini-3.1-pro-preview',
  'gemini-2.5-flash-lite',
];
/** Served, but not for generateContent: must not be offered as a DEVCREW_MODEL. */
export const GEMINI_NON_TEXT = ['gemini-embedding-2'];

/** What the fake answers next; without a queued reply it answers with `fallback`. */
export type GeminiReply =
  | {
      kind: 'json';
      value: unknown;
      inputTokens?: number;
      outputTokens?: number;
      /** usageMetadata.thoughtsTokenCount: thinking billed at the output rate. */
      thoughtTokens?: number;
      /** usageMetadata.cachedContentTokenCount: part of the prompt read from the cache. */
      cachedTokens?: number;
    }
  | { kind: 'text'; text: string }
  | { kind: 'status'; status: number; retryAfter?: string; message?: string }
  | { kind: 'slow'; ms: number; then: GeminiReply }
  /** The connection is cut before any answer. */
  | { kind: 'cut' }
  /** No answer ever (until the client gives up or the server stops). */
  | { kind: 'hang' }
  | { kind: 'safety' };

export interface RecordedRequest {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: {
    contents?: { parts?: { text?: string }[] }[];
    systemInstruction?: unknown;
    generationConfig?: { responseMimeType?: string; responseJsonSchema?: unknown; temperature?: number };
  };
}

/**
 * A real HTTP server speaking Gemini's REST API (`models.get`, `models.list`, `generateContent`), so the
 * real `@google/genai` SDK runs against it (its base URL pointed here). It serves only the models in
 * `served`; it can rate-limit, fail, stall, hang, cut the connection, send bad JSON, or block.
 */
export class FakeGemini extends ScriptedServer<GeminiReply> {
  readonly requests: RecordedRequest[] = [];
  /** Model lookups and listings, by URL. */
  readonly lookups: string[] = [];
  readonly served: string[];
  fallback: (request: RecordedRequest) => GeminiReply = () => ({
    kind: 'status',
    status: 500,
    message: 'no reply queued',
  });

  constructor(options: { served?: string[] } = {}) {
    super();
    this.served = options.served ?? GEMINI_SERVED;
  }

  get url(): string {
    return this.origin;
  }

  protected async handle(req: http.IncomingMessage, raw: string, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const notFound = (message: string) =>
      ScriptedServer.json(res, 404, { error: { code: 404, message, status: 'NOT_FOUND' } });
    if (req.method === 'GET' && url.pathname === '/v1beta/models') {
      this.lookups.push(req.url ?? '');
      return this.list(url, res);
    }
    const get = /^\/v1beta\/models\/([^/:]+)$/.exec(url.pathname);
    if (req.method === 'GET' && get) {
      this.lookups.push(req.url ?? '');
      const name = decodeURIComponent(get[1]!);
      if (!this.serves(name)) return notFound(`models/${name} is not found for API version v1beta`);
      return ScriptedServer.json(res, 200, this.model(name));
    }
    const generate = /^\/v1beta\/models\/([^/:]+):generateContent$/.exec(url.pathname);
    if (req.method !== 'POST' || !generate) return notFound(`no route ${req.method} ${req.url}`);
    const recorded: RecordedRequest = {
      url: req.url ?? '',
      headers: req.headers,
      body: JSON.parse(raw || '{}') as RecordedRequest['body'],
    };
    this.requests.push(recorded);
    const name = decodeURIComponent(generate[1]!);
    if (!this.served.includes(name)) {
      return notFound(
        `models/${name} is not found for API version v1beta, or is not supported for generateContent. ` +
          'Call ListModels to see the list of available models and their supported methods.',
      );
    }
    await this.answer(this.queue.shift() ?? this.fallback(recorded), req, res);
  }

  private serves(name: string): boolean {
    return this.served.includes(name) || GEMINI_NON_TEXT.includes(name);
  }

  private model(name: string) {
    const text = this.served.includes(name);
    return {
      name: `models/${name}`,
      displayName: name.replace(/^gemini-/, 'Gemini ').replace(/-/g, ' '),
      inputTokenLimit: 1_048_576,
      outputTokenLimit: 65_536,
      supportedGenerationMethods: text ? ['generateContent', 'countTokens'] : ['embedContent'],
    };
  }

  /** Pages of two, as Google pages with `pageToken`, so the SDK's pager is exercised. */
  private list(url: URL, res: http.ServerResponse): void {
    const all = [...this.served, ...GEMINI_NON_TEXT];
    const start = Number(url.searchParams.get('pageToken') ?? 0);
    const size = Math.min(Number(url.searchParams.get('pageSize') ?? 50), 2);
    const page = all.slice(start, start + size).map((n) => this.model(n));
    const next = start + size < all.length ? { nextPageToken: String(start + size) } : {};
    ScriptedServer.json(res, 200, { models: page, ...next });
  }

  private async answer(
    reply: GeminiReply,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<void> {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      ScriptedServer.json(res, status, body, headers);
    const candidate = (text: string, finishReason = 'STOP') => ({
      candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason, index: 0 }],
    });
    switch (reply.kind) {
      case 'json': {
        const prompt = reply.inputTokens ?? 100;
        const output = reply.outputTokens ?? 50;
        const thoughts = reply.thoughtTokens ?? 0;
        return send(200, {
          ...candidate(JSON.stringify(reply.value)),
          usageMetadata: {
            promptTokenCount: prompt,
            candidatesTokenCount: output,
            ...(thoughts ? { thoughtsTokenCount: thoughts } : {}),
            ...(reply.cachedTokens ? { cachedContentTokenCount: reply.cachedTokens } : {}),
            totalTokenCount: prompt + output + thoughts,
          },
        });
      }
      case 'text':
        return send(200, {
          ...candidate(reply.text),
          usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5 },
        });
      case 'status': {
        const statusName =
          reply.status === 429
            ? 'RESOURCE_EXHAUSTED'
            : reply.status === 503
              ? 'UNAVAILABLE'
              : reply.status >= 500
                ? 'INTERNAL'
                : 'INVALID_ARGUMENT';
        return send(
          reply.status,
          { error: { code: reply.status, message: reply.message ?? statusName, status: statusName } },
          reply.retryAfter ? { 'retry-after': reply.retryAfter } : {},
        );
      }
      case 'slow':
        await new Promise((r) => setTimeout(r, reply.ms));
        return this.answer(reply.then, req, res);
      case 'cut':
        req.socket.destroy();
        return;
      case 'hang':
        return;
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
