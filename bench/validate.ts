/**
 * How long `devcrew validate --type todo` takes on big plans, beside JSON.parse of the same text (the
 * floor any validator pays). Run: node --import tsx bench/validate.ts
 */
import { performance } from 'node:perf_hooks';
import { validateDocumentText } from '../contracts';

function plan(n: number, width: number): string {
  const tasks = Array.from({ length: n }, (_, i) => ({
    id: `task_${i}`,
    title: `Task ${i}`,
    description: `Implement part ${i} of the strategy with its unit tests.`,
    agent_role: i % 4 === 0 ? 'architect' : 'coder',
    dependencies:
      i < width
        ? []
        : [`task_${i - width}`, `task_${i - 1 - ((i - 1) % width)}`].filter((d, k, a) => a.indexOf(d) === k),
    acceptance_criteria: { tests: [{ cmd: `pytest -q tests/test_${i}.py`, timeout_seconds: 120 }] },
    timeout_seconds: 600,
    max_retries: 2,
  }));
  return JSON.stringify({ todo_list_id: 'bench', request: 'bench', tasks });
}

function median(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => unknown, runs: number): number {
  for (let i = 0; i < 3; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  return median(samples);
}

const json = process.argv.includes('--json');
const figures: Record<string, { validate_ms: number; parse_ms: number; ratio: number }> = {};
for (const n of [200, 2000, 10000]) {
  const text = plan(n, 10);
  const parse = time(() => JSON.parse(text), 21);
  const validate = time(() => {
    const r = validateDocumentText('todo', text);
    if (!r.ok) throw new Error(JSON.stringify(r.problems.slice(0, 3)));
  }, 21);
  figures[`tasks_${n}`] = {
    validate_ms: Number(validate.toFixed(2)),
    parse_ms: Number(parse.toFixed(3)),
    ratio: Number((validate / parse).toFixed(1)),
  };
  if (!json)
    process.stdout.write(
      `${String(n).padStart(6)} tasks: validate ${validate.toFixed(1)} ms (median of 21), JSON.parse alone ${parse.toFixed(2)} ms, ratio ${(validate / parse).toFixed(1)}x\n`,
    );
}
if (json) process.stdout.write(`${JSON.stringify(figures)}\n`);
