/**
 * `npm run bench`: every benchmark, one after the other (each in its own process: each starts its own
 * Temporal server or Docker pool, and the SDK's runtime is one per process). Every figure is a ratio
 * measured side by side within one benchmark, never a wall time compared across runs.
 *
 *   npm run bench                 human-readable, as each benchmark prints it
 *   npm run bench -- --json       one JSON object: { <benchmark>: { ...figures } }
 *   npm run bench -- sandbox      only the benchmarks named
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ORDER = ['workflows', 'sandbox', 'artifacts', 'validate', 'production', 'local-model'];

async function runOne(name: string, json: boolean): Promise<unknown> {
  const file = path.join(__dirname, `${name}.ts`);
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...(json ? ['--json'] : [])], {
    stdio: ['ignore', json ? 'pipe' : 'inherit', 'inherit'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) return { error: `bench/${name}.ts exited with ${String(code)}` };
  if (!json) return undefined;
  const last = out.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as unknown;
  } catch {
    return { error: `bench/${name}.ts printed no JSON object on its last line`, output: out.trim() };
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const named = args.filter((a) => !a.startsWith('--'));
  const unknown = named.filter((n) => !ORDER.includes(n));
  if (unknown.length)
    throw new Error(`unknown benchmark(s) ${unknown.join(', ')}; known: ${ORDER.join(', ')}`);
  const chosen = (named.length ? named : ORDER).filter((n) => fs.existsSync(path.join(__dirname, `${n}.ts`)));
  const results: Record<string, unknown> = {};
  for (const name of chosen) {
    if (!json) process.stdout.write(`\n== bench/${name}.ts ==\n`);
    results[name] = await runOne(name, json);
  }
  if (json) process.stdout.write(`${JSON.stringify(results)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
