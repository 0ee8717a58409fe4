import { createHash } from 'node:crypto';
import type http from 'node:http';
import { z } from 'zod';
import { scriptedClient } from '../../models/doubles';
import { FakeGemini, type RecordedRequest } from './fake-gemini';
import { roleOf } from './recorded-answers';
import { ScriptedServer } from './scripted-server';

/**
 * A fake Gemini that answers like a good model would, from the scripted recordings (models/doubles/recordings),
 * through the real Gemini SDK: the request is read from the prompt's `Request:` line, the role from the
 * system prompt, and the recording's own `match` rules pick the answer. It counts every call by prompt and
 * which answers reached the client, so a test can tell a repeated call (asked again after its answer had
 * arrived: what a crash must never cost) from a call cut off by one.
 */
export class RecordedGemini extends FakeGemini {
  /** Calls per prompt (a hash of the system prompt and the prompt). */
  readonly calls = new Map<string, number>();
  /** Prompts whose answer was written to a live connection. */
  readonly delivered = new Set<string>();
  /** Calls that came after the prompt's answer had been delivered. */
  repeated = 0;
  private readonly scripted = scriptedClient();

  constructor(private readonly options: { delayMs?: number } = {}) {
    super();
  }

  /** Every model call so far. */
  get totalCalls(): number {
    return [...this.calls.values()].reduce((a, b) => a + b, 0);
  }

  protected override async handle(
    req: http.IncomingMessage,
    raw: string,
    res: http.ServerResponse,
  ): Promise<void> {
    if (req.method !== 'POST' || !/:generateContent$/.test(new URL(req.url ?? '/', 'http://x').pathname)) {
      return super.handle(req, raw, res);
    }
    const body = JSON.parse(raw || '{}') as RecordedRequest['body'];
    this.requests.push({ url: req.url ?? '', headers: req.headers, body });
    const prompt = body.contents?.[0]?.parts?.[0]?.text ?? '';
    const key = createHash('sha256')
      .update(`${JSON.stringify(body.systemInstruction)}\n${prompt}`)
      .digest('hex');
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
    if (this.delivered.has(key)) this.repeated++;
    const request = /^Request: (.*)$/m.exec(prompt)?.[1] ?? '';
    let text: string;
    try {
      const answer = await this.scripted.generateJson({
        role: roleOf(body.systemInstruction),
        system: '',
        prompt,
        schema: z.unknown(),
        scriptKey: request,
      });
      text = answer.raw;
    } catch (err) {
      return ScriptedServer.json(res, 400, {
        error: { code: 400, message: (err as Error).message, status: 'INVALID_ARGUMENT' },
      });
    }
    if (this.options.delayMs) await new Promise((r) => setTimeout(r, this.options.delayMs));
    if (res.destroyed || req.socket.destroyed) return; // the caller died while the model "thought"
    this.delivered.add(key);
    ScriptedServer.json(res, 200, {
      candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: {
        promptTokenCount: Math.ceil(prompt.length / 4),
        candidatesTokenCount: Math.ceil(text.length / 4),
      },
    });
  }
}
