/**
 * Files as plain text, for a small local model: it writes code far better in fenced blocks than inside
 * JSON strings (asked for JSON, Qwen2.5-Coder 0.5B ends each file's string after its first line, as a
 * raw newline is what it wants next and JSON forbids it). A request whose answer is files
 * (`JsonRequest.files`) is asked this way by a client with `plainFiles`; the blocks are turned back into
 * the request's value and checked against its schema like any answer.
 */

export interface FileBlock {
  path: string;
  content: string;
}

/** Replaces the prompt's "Answer with the ... JSON only." line. */
export const FILE_BLOCKS_FORMAT = [
  'Answer with every file you write, each as one line `FILE: <path>` followed by the whole file in a',
  'fenced code block, and nothing else. For example:',
  'FILE: codes/example.py',
  '```python',
  'def double(x: int) -> int:',
  '    return 2 * x',
  '```',
  'FILE: tests/test_example.py',
  '```python',
  'from codes.example import double',
  '',
  '',
  'def test_double() -> None:',
  '    assert double(2) == 4',
  '```',
].join('\n');

/** The system prompt with its JSON-answer line replaced by the file-blocks format. */
export function withFileBlocksFormat(system: string): string {
  const stripped = system.replace(/^.*Answer with the \w+ JSON only\.?.*$/m, '').trimEnd();
  return `${stripped}\n\n${FILE_BLOCKS_FORMAT}`;
}

/**
 * The files of an answer: `FILE: path` (or a Markdown heading or bold path) then a fenced block. A bare
 * file name goes where it belongs: `test_*.py` under tests/, other Python under codes/.
 */
export function parseFileBlocks(text: string): FileBlock[] {
  const out: FileBlock[] = [];
  const re =
    /^(?:FILE:|#{1,4}|\*\*)?\s*`?((?:[\w.-]+\/)*[\w.-]+\.(?:py|json|md|txt|toml|cfg|ini|yaml|yml))`?\**:?\s*\n```[\w+-]*\n([\s\S]*?)\n?```/gm;
  for (const m of text.matchAll(re)) {
    out.push({ path: placed(m[1]!), content: `${m[2]!.replace(/\s+$/, '')}\n` });
  }
  return out;
}

/**
 * What can be kept of an answer cut short (past its cap, or stuck in a loop): its complete file blocks,
 * and a test file cut in the middle up to its last complete top-level function (the one being written
 * when it was cut is dropped). A test file cut in its first test is dropped whole and the files before
 * it are kept: a loop in a test must not cost the complete code written before it (the request's
 * examples and the next round's tests judge that code). Undefined when a code file was cut (code cannot
 * be half kept) or nothing complete comes before the cut.
 */
export function keptOfCutAnswer(text: string): string | undefined {
  const header = /^(?:FILE:|#{1,4}|\*\*)?\s*`?((?:[\w.-]+\/)*[\w.-]+\.py)`?\**:?\s*\n```[\w+-]*\n/gm;
  const headers = [...text.matchAll(header)];
  const last = headers.at(-1);
  if (!last) return undefined;
  const start = last.index + last[0].length;
  const body = text.slice(start);
  if (/^```/m.test(body)) return parseFileBlocks(text).length ? text : undefined; // every block closed
  if (!placed(last[1]!).startsWith('tests/')) return undefined;
  const lines = body.split('\n');
  let end = lines.length - 1;
  while (end >= 0 && !/^(def |class )/.test(lines[end]!)) end--;
  while (end > 0 && lines[end - 1]!.startsWith('@')) end--; // its decorators go with it
  const kept = lines.slice(0, Math.max(end, 0)).join('\n').trimEnd();
  if (!/^def test_|^class Test/m.test(kept)) {
    const before = text.slice(0, last.index);
    return parseFileBlocks(before).some((f) => !placed(f.path).startsWith('tests/')) ? before : undefined;
  }
  return `${text.slice(0, start)}${kept}\n${'```'}\n`;
}

function placed(path: string): string {
  const clean = path.replace(/^\.\//, '');
  if (clean.includes('/')) return clean;
  if (/^test_.*\.py$/.test(clean) || /_test\.py$/.test(clean)) return `tests/${clean}`;
  if (clean.endsWith('.py')) return `codes/${clean}`;
  return clean;
}
