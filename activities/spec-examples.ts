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
 * The request's own examples, read the way doctest reads them: a `>>> ` line whose expression calls a
 * function, and the line after it as the value it gives. Continuation lines (`... `) and examples without
 * a value are left out: the examples are a check written from the specification alone, independent of
 * the Coder's tests (the test designer of AgentCoder), and only what is unambiguous is kept.
 */
export function examplesOf(request: string): SpecExample[] {
  const lines = request.split('\n');
  const found: SpecExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*>>>\s?(.*)$/.exec(lines[i]!);
    if (!m) continue;
    const call = m[1]!.trim();
    const next = lines[i + 1]?.trim() ?? '';
    if (!/^[A-Za-z_]\w*\(.*\)$/.test(call)) continue;
    if (!next || next.startsWith('>>>') || next.startsWith('...') || next.includes('"""')) continue;
    found.push({ call, expected: next });
  }
  return found;
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
  const names = [...new Set(examples.map((e) => /^(\w+)\(/.exec(e.call)![1]!))];
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
