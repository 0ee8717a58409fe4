/**
 * The local model through devcrew against the same llama.cpp server called directly, side by side in one
 * run (these machines are shared: only ratios measured together mean anything):
 *
 * - overhead: devcrew's client (streamed, file blocks parsed, schema checked) against a plain HTTP call
 *   with the same messages, interleaved, the same fixed number of tokens each; target: at most 5%.
 * - throughput: generation and prompt tokens per second at 1, 2 and 4 requests at once (llama.cpp's
 *   own `timings`), the server having DEVCREW_MODEL_SERVER_SLOTS slots.
 * - time to first token of a long system prompt, cold (no prompt cache) against warm (cached prefix).
 *
 *   node --import tsx bench/local-model.ts [--json]
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CodeArtifacts, codeArtifactsOf } from '../contracts';
import { readModelSettings } from '../core/config';
import { DEFAULT_LOCAL_MODEL } from '../models/local-models';
import { openAiCompatibleClient } from '../models/openai-compatible';
import { withFileBlocksFormat } from '../models/file-blocks';
import { promptFor } from '../prompts';
import { startModelServer } from '../runtime/model-server';
import { provision, silentReport } from '../runtime/provision';
import { freePort } from '../test/support/ports';

const json = process.argv.includes('--json');
const say = (line: string) => {
  if (!json) process.stdout.write(`${line}\n`);
};

interface Timings {
  prompt_n: number;
  prompt_ms: number;
  predicted_n: number;
  predicted_ms: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const r3 = (x: number) => Math.round(x * 1000) / 1000;

async function main(): Promise<void> {
  const settings = readModelSettings();
  const model = settings.DEVCREW_MODEL ?? DEFAULT_LOCAL_MODEL;
  const { localModel } = await provision({ localModel: model }, { report: silentReport });
  const logDir = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-bench-model-'));
  const slots = settings.DEVCREW_MODEL_SERVER_SLOTS;
  const server = await startModelServer({
    files: localModel!,
    port: await freePort(),
    slots,
    context: settings.DEVCREW_MODEL_CONTEXT,
    logDir,
    report: silentReport,
  });
  say(`local model ${model} at ${server.baseUrl}, ${slots} slot(s), ${os.availableParallelism()} core(s)`);
  try {
    const system = promptFor('coder').text;
    // A small task, so the answer ends well below the cap on its own: a capped answer is cut and asked
    // again by devcrew's client (a runaway), which would time a second call, not devcrew's overhead.
    const prompt =
      'Request: Write a function add(a: int, b: int) -> int returning a + b, with one test\nTask id: task_coder_001\nRole: coder\n' +
      'Title: Add\nDescription: add returns the sum of its two arguments.\nAcceptance tests: python3 -m pytest -q\n\n' +
      'No contract: design the interface yourself.';
    const maxTokens = 700;

    // A direct call: the same messages devcrew sends, one HTTP request, llama.cpp's own timings.
    const direct = async (body: Record<string, unknown>) => {
      const t0 = performance.now();
      const res = await fetch(`${server.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, temperature: 0, ...body }),
      });
      const answer = (await res.json()) as { timings: Timings; usage: { completion_tokens: number } };
      return { ms: performance.now() - t0, timings: answer.timings };
    };
    const messages = [
      { role: 'system', content: withFileBlocksFormat(system) },
      { role: 'user', content: prompt },
    ];

    // 1. Overhead: devcrew's client against the direct call, interleaved. Both greedy (temperature 0)
    //    with the same messages and cap, so both generate the same answer; the cap is far above it.
    const client = openAiCompatibleClient({
      provider: 'local',
      apiKey: 'none',
      model,
      baseUrl: server.baseUrl,
      timeoutMs: 600_000,
      outputCaps: { coder: maxTokens },
      stream: true,
      plainFiles: true,
    });
    await direct({ messages, max_tokens: 8 }); // warm-up: weights paged in, prefix cached
    const viaDevcrew: number[] = [];
    const viaDirect: number[] = [];
    const tokens = { devcrew: 0, direct: 0 };
    const files = {
      toValue: (fs: { path: string; content: string }[]) => codeArtifactsOf('task_coder_001', fs),
    };
    for (let i = 0; i < 2; i++) {
      const d = await direct({ messages, max_tokens: maxTokens });
      viaDirect.push(d.ms);
      tokens.direct = d.timings.predicted_n;
      const t0 = performance.now();
      const answer = await client.generateJson({
        role: 'coder',
        system,
        prompt,
        schema: CodeArtifacts,
        files,
      });
      viaDevcrew.push(performance.now() - t0);
      tokens.devcrew = answer.usage.output_tokens;
    }
    const overhead = median(viaDevcrew) / median(viaDirect) - 1;
    say(
      `overhead: devcrew ${(median(viaDevcrew) / 1000).toFixed(2)} s vs direct ${(median(viaDirect) / 1000).toFixed(2)} s per call (${tokens.devcrew} vs ${tokens.direct} tokens): ${(overhead * 100).toFixed(1)}% (target <= 5%)`,
    );

    // 2. Throughput at 1, 2 and 4 requests at once.
    const throughput: Record<string, { generation_tps: number; prompt_tps: number }> = {};
    for (const k of [1, 2, 4]) {
      const t0 = performance.now();
      const done = await Promise.all(
        Array.from({ length: k }, (_, i) =>
          direct({
            messages: [messages[0], { role: 'user', content: `${prompt}\nVariant ${i}.` }],
            max_tokens: 48,
            ignore_eos: true,
            cache_prompt: false,
          }),
        ),
      );
      const wall = (performance.now() - t0) / 1000;
      const generated = done.reduce((s, d) => s + d.timings.predicted_n, 0);
      const prompted = done.reduce((s, d) => s + d.timings.prompt_n, 0);
      const promptSeconds = done.reduce((s, d) => s + d.timings.prompt_ms, 0) / 1000;
      throughput[String(k)] = {
        generation_tps: r3(generated / wall),
        prompt_tps: r3(prompted / Math.max(0.001, promptSeconds)),
      };
      say(
        `${k} at once: ${throughput[String(k)]!.generation_tps.toFixed(1)} generated tok/s overall, prompt ${throughput[String(k)]!.prompt_tps.toFixed(0)} tok/s`,
      );
    }

    // 3. Time to first token, no prompt cache against a cached prefix (the agents' long system prompt).
    const ttft = async (cache: boolean) => {
      const d = await direct({ messages, max_tokens: 1, cache_prompt: cache });
      return d.timings.prompt_ms;
    };
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < 3; i++) {
      cold.push(await ttft(false));
      await ttft(true); // fills the cache
      warm.push(await ttft(true));
    }
    const ttftRatio = median(warm) / median(cold);
    say(
      `time to first token: cold ${median(cold).toFixed(0)} ms, with the prompt cache ${median(warm).toFixed(0)} ms (${(ttftRatio * 100).toFixed(0)}% of cold)`,
    );
    if (json) {
      process.stdout.write(
        `${JSON.stringify({
          model,
          slots,
          overhead_ratio: r3(overhead),
          overhead_tokens: tokens,
          overhead_target_met: overhead <= 0.05,
          throughput,
          ttft_cold_ms: r3(median(cold)),
          ttft_warm_ms: r3(median(warm)),
          ttft_warm_over_cold: r3(ttftRatio),
        })}\n`,
      );
    }
  } finally {
    await server.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/local-model: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
