import { projectPath } from './workspace';

/** Where the Tester writes the request's examples as tests (rewritten from the request every time). */
export const EXAMPLES_TEST_PATH = 'tests/test_request_examples.py';

export interface SpecExample {
  /** The call as the request writes it, e.g. `add(2, 3)`. */
  call: string;
  /** The value the request says it gives, as written, e.g. `5`. */
  expected: string;
}

/**
 * The request's own examples: the examples are a check written from the specification alone,
 * independent of the Coder's tests (the test designer of AgentCoder), and only what is unambiguous is
 * kept. Two shapes are read:
 * - doctest's: a `>>> ` line whose expression calls a function, and the line after it as the value it
 *   gives (continuation lines and examples without a value are left out);
 * - written inline, as many specifications do: a call of a function the request defines, then `==`,
 *   `==>`, `=>`, `->`, `➞`, `returns` or `should return`, then its value, e.g.
 *   `search([4, 1, 2, 2, 3, 1]) == 2`; a value of lowercase `true` or `false` is read as Python's.
 *   Only calls whose arguments and values look like Python literals are kept (`is_happy(a) => False`
 *   names a variable the request never gives, `f(x) == 1 + 9 = 10` is arithmetic in prose), and a
 *   parenthesised single value is left out as ambiguous (`("Venus")` may mean the string or a
 *   one-element tuple).
 */
export function examplesOf(request: string): SpecExample[] {
  const lines = request.split('\n');
  const defined = definedFunctions(request);
  const found: SpecExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*>>>\s?(.*)$/.exec(lines[i]!);
    if (m) {
      const call = withoutComment(m[1]!).trim();
      const next = lines[i + 1]?.trim() ?? '';
      if (/^[A-Za-z_]\w*\(.*\)$/.test(call)) {
        if (!next || next.startsWith('>>>') || next.startsWith('...') || next.includes('"""')) continue;
        // Of a function the request defines, maybe inside a builtin: `round(find_zero([1, 2]), 2)`;
        // a request in prose, defining none, keeps every example.
        if (!defined.size || calledNames(call).some((n) => defined.has(n)))
          found.push({ call, expected: next });
        continue;
      }
    }
    if (/^\s*(?:async\s+)?def\s/.test(lines[i]!)) continue;
    const inline = inlineExample(lines[i]!, defined);
    if (inline) found.push(inline);
  }
  return found;
}

/** The functions a request defines (`def name(`), at any indentation. */
function definedFunctions(request: string): Set<string> {
  return new Set([...request.matchAll(/^\s*(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(/gm)].map((m) => m[1]!));
}

/** A line of Python without its trailing `# comment` (a `#` inside a string stays). */
function withoutComment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return line.slice(0, i);
  }
  return line;
}

/** The functions a call expression calls by name (not methods): `round(f(x), 2)` gives round and f. */
export function calledNames(call: string): string[] {
  return [...withoutStrings(call).matchAll(/(?<![\w.])([A-Za-z_]\w*)\s*\(/g)].map((m) => m[1]!);
}

/**
 * Ways a specification writes "gives", longest first so `==>` is not read as `==`. A lone `=` is not
 * one: it is how a recurrence is defined (`tri(1) = 3` on HumanEval/130, whose function returns a list).
 */
const GIVES = /^\s*(?:#\s*)?(==>|=>|==|->|\u279e|returns|should return|should be)\s*/;

/** An example written on one line: `name(args) SEP value`, with `name` a function the request defines. */
function inlineExample(line: string, defined: Set<string>): SpecExample | undefined {
  for (const m of line.matchAll(/(?<![\w.])([A-Za-z_]\w*)\(/g)) {
    if (!defined.has(m[1]!)) continue;
    const end = closingParen(line, m.index + m[0].length - 1);
    if (end === undefined) return undefined;
    const call = line.slice(m.index, end + 1);
    const sep = GIVES.exec(line.slice(end + 1));
    if (!sep) return undefined;
    const expected = line
      .slice(end + 1 + sep[0].length)
      .replace(/\s+#.*$/, '')
      .trim()
      .replace(/\.$/, '')
      // Written the way other languages spell them (`is_simple_power(1, 4) => true` on HumanEval/76).
      .replace(/^(true|false)$/, (word) => (word === 'true' ? 'True' : 'False'));
    const args = call.slice(m[1]!.length + 1, -1);
    if (!looksLiteral(expected) || !argumentsLookLiteral(args)) return undefined;
    if (
      /^\(/.test(expected) &&
      closingParen(expected, 0) === expected.length - 1 &&
      !/,/.test(withoutStrings(expected))
    )
      return undefined;
    return { call, expected };
  }
  return undefined;
}

/** The index of the bracket that closes the one at `open`, skipping strings; undefined if the line ends first. */
function closingParen(text: string, open: number): number | undefined {
  let depth = 0;
  let quote = '';
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c) && --depth === 0) return i;
  }
  return undefined;
}

const withoutStrings = (text: string) => text.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');

/** Numbers, strings, True/False/None and brackets of them: what `ast.literal_eval` reads. */
function argumentsLookLiteral(text: string): boolean {
  const bare = withoutStrings(text);
  return (
    !/["']/.test(bare.replace(/""/g, '')) &&
    [...bare.matchAll(/[A-Za-z_]\w*/g)].every((w) => /^(True|False|None|e\d*|j)$/.test(w[0]))
  );
}

function looksLiteral(text: string): boolean {
  if (!text) return false;
  if (!/^(-?[\d.]|["'([{]|True\b|False\b|None\b)/.test(text)) return false;
  if (/[([{]/.test(text[0]!) && closingParen(text, 0) !== text.length - 1) return false;
  return argumentsLookLiteral(text) && !/[=<>]/.test(withoutStrings(text));
}

/**
 * The request's examples as a pytest file over the code that defines the functions they call, or
 * undefined when the request has none or no file under codes/ defines them. An expected value that is
 * not a Python literal skips its example (it says why) rather than failing the code for the request's
 * wording; floats compare with pytest.approx.
 */
export function examplesTest(
  request: string | undefined,
  files: { path: string; content: string }[],
): { path: string; content: string; count: number } | undefined {
  const examples = examplesOf(request ?? '');
  if (!examples.length) return undefined;
  const defined = definedFunctions(request ?? '');
  // The request's own functions the examples call; builtins around them (round, sorted) need no import.
  // A request in prose, defining none: the function each example calls first.
  const names = [
    ...new Set(
      examples.flatMap((e) =>
        defined.size ? calledNames(e.call).filter((n) => defined.has(n)) : [/^(\w+)\(/.exec(e.call)![1]!],
      ),
    ),
  ];
  const modules = new Map<string, string>();
  for (const name of names) {
    const file = files.find(
      (f) =>
        projectPath(f.path).startsWith('codes/') &&
        f.path.endsWith('.py') &&
        new RegExp(`^def ${name}\\(`, 'm').test(f.content),
    );
    if (!file) return undefined;
    modules.set(name, projectPath(file.path).replace(/\.py$/, '').replace(/\//g, '.'));
  }
  const py = (s: string) => JSON.stringify(s);
  const content = [
    '"""The request\'s own examples, run as tests.',
    '',
    "Written by devcrew's Tester from the request, not by a model.",
    '"""',
    'import ast',
    '',
    'import pytest',
    '',
    ...names.map((n) => `from ${modules.get(n)} import ${n}`),
    '',
    `NAMES = {${names.map((n) => `${py(n)}: ${n}`).join(', ')}}`,
    'EXAMPLES = [',
    ...examples.map((e) => {
      const line = `    (${py(e.call)}, ${py(e.expected)}),`;
      return line.length > 79 ? `${line}  # noqa: E501` : line;
    }),
    ']',
    '',
    '',
    '@pytest.mark.parametrize("call, expected", EXAMPLES)',
    'def test_example_from_the_request(call: str, expected: str) -> None:',
    '    try:',
    '        want = ast.literal_eval(expected)',
    '    except (ValueError, SyntaxError):',
    '        pytest.skip(f"the value {expected!r} is not a Python literal")',
    '    got = eval(call, {"__builtins__": __builtins__, **NAMES})  # nosec B307',
    '    if isinstance(want, float):',
    '        assert got == pytest.approx(want), (',
    '            f"{call} returned {got!r}; the request says {expected}")',
    '    else:',
    '        assert got == want, (',
    '            f"{call} returned {got!r}; the request says {expected}")',
    '',
  ].join('\n');
  return { path: EXAMPLES_TEST_PATH, content, count: examples.length };
}
