import { problemIndex, problemPaths, problemRequest, type HumanEvalProblem } from '../humaneval';
import type { Recording } from './recording';

/**
 * The HumanEval evaluation double: for a `devcrew eval` request, the answers a model could have given,
 * made from the problem itself (models/humaneval.ts reads the benchmark). A TEST DOUBLE: it exercises the
 * evaluation harness offline and never claims a score; the scripted model (scripted.ts) serves it.
 */

/**
 * The argument lists of the docstring's examples (`f(1, 2)` in `>>> f(1, 2)` or `f(1, 2) == 3`), as
 * Python source text. They are what the prompt shows every agent.
 */
export function exampleArguments(p: HumanEvalProblem): string[] {
  const doc = p.prompt.slice(p.prompt.indexOf(`def ${p.entry_point}`) + 4 + p.entry_point.length);
  const out: string[] = [];
  const call = new RegExp(`\\b${p.entry_point}\\(`, 'g');
  for (let m = call.exec(doc); m; m = call.exec(doc)) {
    const start = m.index + m[0].length;
    const end = closingParen(doc, start);
    if (end < 0) continue;
    const args = doc.slice(start, end).trim();
    if (args && !out.includes(args)) out.push(args);
  }
  return out;
}

/** The index of the `)` that closes a call opened just before `from`, skipping strings; -1 if none. */
function closingParen(text: string, from: number): number {
  let depth = 1;
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return c === ')' ? i : -1;
    }
    if (c === '\n' && depth === 1 && text.slice(from, i).trim() === '') return -1;
  }
  return -1;
}

/**
 * How the evaluation double behaves on a problem, fixed by its number so every run is the same:
 * `fix` answers wrong first (its own tests catch it, a fix round repairs it: a quarter of the problems),
 * `overfit` passes the docstring's examples only (its own tests pass, the hidden tests must catch it:
 * a tenth), `correct` answers the benchmark's own solution. Without examples to test, always `correct`.
 */
export function doubleBehaviour(p: HumanEvalProblem): 'correct' | 'fix' | 'overfit' {
  if (exampleArguments(p).length === 0) return 'correct';
  const n = problemIndex(p);
  if (n % 10 === 7) return 'overfit';
  if (n % 4 === 1) return 'fix';
  return 'correct';
}

const py = (s: string) => JSON.stringify(s); // a JSON string is a valid Python string literal

/** A wrong answer for any value: what a buggy first attempt returns. */
const OFF_BY_ONE = `

def _devcrew_off(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "?"
    if isinstance(value, list):
        return value + [None]
    if isinstance(value, tuple):
        return value + (None,)
    if value is None:
        return 0
    return None
`;

function solution(p: HumanEvalProblem): string {
  return `${p.prompt}${p.canonical_solution}`;
}

function code(p: HumanEvalProblem, behaviour: 'correct' | 'fix' | 'overfit'): string {
  const header = `# ${p.task_id}: written by devcrew's scripted evaluation double (a test double, not a model).\n`;
  const base = header + solution(p).trimEnd() + '\n';
  if (behaviour === 'correct') return base;
  const original = `\n\n_devcrew_original = ${p.entry_point}\n`;
  if (behaviour === 'fix') {
    return `${base}${OFF_BY_ONE}${original}\n\ndef ${p.entry_point}(*args, **kwargs):\n    return _devcrew_off(_devcrew_original(*args, **kwargs))\n`;
  }
  return (
    `${base}${OFF_BY_ONE}${original}\n_devcrew_seen = []\n` +
    `for _text in ${pyList(exampleArguments(p))}:\n    try:\n        _devcrew_seen.append(eval("(" + _text + ",)"))\n    except Exception:\n        pass\n\n\n` +
    `def ${p.entry_point}(*args, **kwargs):\n    value = _devcrew_original(*args, **kwargs)\n    return value if args in _devcrew_seen else _devcrew_off(value)\n`
  );
}

const pyList = (items: string[]) => `[${items.map(py).join(', ')}]`;

/** The double's own tests: the function against the benchmark's solution on the docstring's examples. */
function tests(p: HumanEvalProblem): string {
  const where = problemPaths(p);
  return `# Tests of ${where.code}, written by devcrew's scripted evaluation double from the docstring's
# examples only (never the benchmark's hidden tests).
import copy

from ${where.module} import ${p.entry_point} as candidate

REFERENCE = ${py(solution(p))}
EXAMPLE_ARGUMENTS = ${pyList(exampleArguments(p))}


def _reference():
    namespace = {}
    exec(REFERENCE, namespace)
    return namespace[${py(p.entry_point)}]


def _outcome(fn, args):
    try:
        return ("value", fn(*copy.deepcopy(args)))
    except Exception as err:
        return ("raises", type(err).__name__)


def _examples():
    out = []
    for text in EXAMPLE_ARGUMENTS:
        try:
            out.append(eval("(" + text + ",)"))
        except Exception:
            pass
    return out


def test_docstring_examples():
    reference = _reference()
    for args in _examples():
        assert _outcome(candidate, args) == _outcome(reference, args), args


def test_is_callable():
    assert callable(candidate)
`;
}

/**
 * The scripted evaluation double's answers for one problem, as a recording the scripted model replays:
 * a plan (Architect, Coder, Tester), a contract, code and tests from the benchmark's solution, wrong
 * or overfitted first as `doubleBehaviour` says, right in every fix round. A TEST DOUBLE: it exists to
 * exercise the evaluation harness offline, never to claim a score.
 */
export function doubleRecording(p: HumanEvalProblem): Recording {
  const where = problemPaths(p);
  const behaviour = doubleBehaviour(p);
  const n = problemIndex(p);
  const files = (b: 'correct' | 'fix' | 'overfit', taskId: string) => ({
    task_id: taskId,
    files: [
      { path: 'codes/__init__.py', content: '' },
      { path: where.code, content: code(p, b) },
    ],
    tests: [
      { path: 'tests/__init__.py', content: '' },
      { path: where.tests, content: tests(p) },
    ],
    notes: `scripted evaluation double (${b === 'correct' ? "the benchmark's solution" : b})`,
  });
  const signature =
    /^def .*$/m.exec(p.prompt.slice(p.prompt.indexOf(`def ${p.entry_point}`)))?.[0] ??
    `def ${p.entry_point}(...)`;
  const request = problemRequest(p);
  return {
    request,
    answers: [
      {
        role: 'planner',
        value: {
          todo_list_id: `todo_humaneval_${n}`,
          schema_version: '1.0',
          request,
          tasks: [
            {
              id: 'task_architect_001',
              title: `Contract for ${p.entry_point}`,
              description: `The signature of ${p.entry_point} as the docstring gives it.`,
              agent_role: 'architect',
              dependencies: [],
              acceptance_criteria: { tests: [] },
              timeout_seconds: 300,
              max_retries: 2,
              requires_approval: false,
            },
            {
              id: 'task_coder_001',
              title: `Implement ${p.entry_point}`,
              description: `Write ${where.code} and ${where.tests}.`,
              agent_role: 'coder',
              dependencies: ['task_architect_001'],
              acceptance_criteria: { tests: [{ cmd: `pytest -q ${where.tests}`, timeout_seconds: 120 }] },
              timeout_seconds: 600,
              max_retries: 3,
              requires_approval: false,
            },
            {
              id: 'task_tester_001',
              title: 'Run the tests with coverage',
              description: 'Every test, with line coverage.',
              agent_role: 'tester',
              dependencies: ['task_coder_001'],
              acceptance_criteria: { tests: [{ cmd: 'pytest -q --cov=codes tests', timeout_seconds: 300 }] },
              timeout_seconds: 600,
              max_retries: 1,
              requires_approval: false,
            },
          ],
        },
      },
      {
        role: 'architect',
        value: {
          contract_id: `contract_humaneval_${n}`,
          task_id: 'task_architect_001',
          language: 'python',
          interfaces: [
            {
              name: p.entry_point,
              type: 'function',
              signature,
              methods: [],
              description: `in ${where.code}`,
            },
          ],
          data_models: [],
          test_skeletons: [],
        },
      },
      { role: 'coder', value: files(behaviour, 'task_coder_001') },
      { role: 'debugger', value: files('correct', 'task_coder_001') },
      { role: 'single-agent', match: 'Round: 1\n', value: files(behaviour, 'single_agent') },
      { role: 'single-agent', value: files('correct', 'single_agent') },
    ],
  };
}
