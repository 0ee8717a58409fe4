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
  return casesTest(request ?? '', files, examples, {
    path: EXAMPLES_TEST_PATH,
    docstring: [
      "The request's own examples, run as tests.",
      '',
      "Written by devcrew's Tester from the request, not by a model.",
    ],
    test: 'test_example_from_the_request',
    says: 'the request says',
  });
}

/** Where the Tester keeps the cases its model designed from the request (activities/test-designer.ts). */
export const DESIGNED_CASES_PATH = 'tests/designed_cases.json';
/** The pytest file written from them for every test run (a change a Debugger made to it does not survive). */
export const DESIGNED_TEST_PATH = 'tests/test_designed_cases.py';
/** The test function of a designed case; its pytest id is `d<index>`. */
export const DESIGNED_TEST_NAME = 'test_designed_case';

/**
 * The designed cases kept in `files` (DESIGNED_CASES_PATH) as a pytest file, each case's id `d<i>`, or
 * undefined when there are none, they cannot be read, or no file under codes/ defines their function.
 */
export function designedTest(
  request: string | undefined,
  files: { path: string; content: string }[],
): { path: string; content: string; count: number; cases: SpecExample[] } | undefined {
  const cases = readDesignedCases(files);
  if (!cases.length) return undefined;
  const test = casesTest(request ?? '', files, cases, {
    path: DESIGNED_TEST_PATH,
    docstring: [
      "Cases devcrew's Tester designed from the request alone, before and without the code.",
      '',
      `Written from ${DESIGNED_CASES_PATH} for every test run.`,
    ],
    test: DESIGNED_TEST_NAME,
    says: "the Tester's designed case (worked out from the request alone) expects",
    ids: true,
  });
  return test && { ...test, cases };
}

/** The designed cases a commit's files keep, or none. */
export function readDesignedCases(files: { path: string; content: string }[]): SpecExample[] {
  const file = files.find((f) => projectPath(f.path) === DESIGNED_CASES_PATH);
  if (!file) return [];
  try {
    const parsed = JSON.parse(file.content) as unknown;
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (c): c is SpecExample =>
        typeof c === 'object' &&
        c !== null &&
        typeof (c as SpecExample).call === 'string' &&
        typeof (c as SpecExample).expected === 'string',
    );
  } catch {
    return [];
  }
}

/**
 * The cases a model designed for `name` that can run as written: a call of `name` with literal
 * arguments and a literal value (`true`/`false` read as Python's), not one of the request's own
 * examples, not given twice. The rest with why, for the step's summary.
 */
export function usableCases(
  request: string,
  name: string,
  answered: SpecExample[],
): { kept: SpecExample[]; left: string[] } {
  const given = new Set(examplesOf(request).map((e) => e.call.replace(/\s+/g, '')));
  const kept: SpecExample[] = [];
  const left: string[] = [];
  for (const c of answered) {
    const call = c.call.trim();
    const expected = c.expected.trim().replace(/^(true|false)$/, (w) => (w === 'true' ? 'True' : 'False'));
    const m = /^([A-Za-z_]\w*)\(/.exec(call);
    const end = m ? closingParen(call, m[0].length - 1) : undefined;
    if (!m || m[1] !== name || end !== call.length - 1) left.push(`${call}: not one call of ${name}`);
    else if (!argumentsLookLiteral(call.slice(m[0].length, -1))) left.push(`${call}: arguments not literal`);
    else if (!looksLiteral(expected)) left.push(`${call}: ${expected} is not a Python literal`);
    else if (given.has(call.replace(/\s+/g, ''))) left.push(`${call}: one of the request's examples`);
    else if (kept.some((k) => k.call.replace(/\s+/g, '') === call.replace(/\s+/g, '')))
      left.push(`${call}: given twice`);
    else kept.push({ call, expected });
  }
  return { kept, left };
}

/** Cases (a call, the value it must give) as a pytest file over the code under codes/ they call. */
function casesTest(
  request: string,
  files: { path: string; content: string }[],
  examples: SpecExample[],
  how: { path: string; docstring: string[]; test: string; says: string; ids?: boolean },
): { path: string; content: string; count: number } | undefined {
  const defined = definedFunctions(request);
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
    `"""${how.docstring[0]!}`,
    ...how.docstring.slice(1),
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
    how.ids
      ? '@pytest.mark.parametrize("call, expected", EXAMPLES,\n                         ids=[f"d{i}" for i in range(len(EXAMPLES))])'
      : '@pytest.mark.parametrize("call, expected", EXAMPLES)',
    `def ${how.test}(call: str, expected: str) -> None:`,
    '    try:',
    '        want = ast.literal_eval(expected)',
    '    except (ValueError, SyntaxError):',
    '        pytest.skip(f"the value {expected!r} is not a Python literal")',
    '    got = eval(call, {"__builtins__": __builtins__, **NAMES})  # nosec B307',
    '    if isinstance(want, float):',
    '        assert got == pytest.approx(want), (',
    `            f"{call} returned {got!r}; ${how.says} {expected}")`,
    '    else:',
    '        assert got == want, (',
    `            f"{call} returned {got!r}; ${how.says} {expected}")`,
    '',
  ].join('\n');
  return { path: how.path, content, count: examples.length };
}
