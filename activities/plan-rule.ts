import type { TodoList } from '../contracts';
import { calledNames, examplesOf } from './spec-examples';

/** The plan rule's agent_version, recorded in the plan commit's provenance. */
export const PLAN_RULE_VERSION = 'plan-rule@3';

/**
 * The plan of a request that is one Python function given by its signature and docstring (a stub, as in
 * HumanEval), maybe after helper functions it gives whole: one coder task and one tester task depending
 * on it, which is what the Planner's prompt asks for such a request, written without model time.
 * Anything else (prose, several stubs, a class) is the Planner's. Files are the ones the request names
 * (`codes/x.py`, `tests/test_x.py`), else named after the function.
 */
export function oneFunctionPlan(request: string): TodoList | undefined {
  const found = stubOf(request);
  if (!found) return undefined;
  const { def, helpers } = found;
  const after = request.slice(def.index);
  const name = def[1]!;
  const slug = name.toLowerCase().replace(/^_+/, '') || 'function';
  const prose = request.slice(0, def.index);
  const code = /\bcodes\/[\w/]+\.py\b/.exec(prose)?.[0] ?? `codes/${slug}.py`;
  const tests = /\btests\/[\w/]+\.py\b/.exec(prose)?.[0] ?? `tests/test_${slug}.py`;
  const signature = after.split('\n')[0]!.replace(/:\s*$/, '');
  const beside = helpers.length
    ? `, beside the request's ${helpers.map((h) => `\`${h}\``).join(', ')} as the request gives ${helpers.length === 1 ? 'it' : 'them'}`
    : '';
  return {
    todo_list_id: `todo_${slug}_001`,
    schema_version: '1.0',
    request,
    tasks: [
      {
        id: `code_${slug}`,
        title: `Implement ${name} with unit tests`,
        description:
          `${code}: ${signature}, as its docstring in the request says (every example in it holds)${beside}. ` +
          `${tests}: pytest tests of ${name}, each expected value worked out by hand.`,
        agent_role: 'coder',
        dependencies: [],
        // Every test under tests/: the request's examples (the crew's Tester writes them from the
        // request alone) and the Coder's own. A Coder that gives the code alone, as the 1.5B model did
        // on HumanEval/8, is judged by the examples rather than sent to a Debugger round (210 s there)
        // only to add a test file; with no example and no test of its own, nothing runs and nothing passes.
        acceptance_criteria: { tests: [{ cmd: 'pytest -q tests', timeout_seconds: 120 }] },
        timeout_seconds: 600,
        max_retries: 2,
        requires_approval: false,
      },
      {
        id: `test_${slug}`,
        title: 'Run the acceptance tests',
        description: `Run the unit tests of ${name}.`,
        agent_role: 'tester',
        dependencies: [`code_${slug}`],
        acceptance_criteria: { tests: [{ cmd: 'pytest -q tests', timeout_seconds: 120 }] },
        timeout_seconds: 300,
        max_retries: 2,
        requires_approval: false,
      },
    ],
  };
}

/**
 * Whether a request's tests are its own examples: a one-function stub whose docstring gives examples
 * that call it. The crew's Tester writes them as tests from the request alone, so the Coder is asked
 * for the code only: the local 1.5B Coder's own test files ran into loops and were cut in most answers
 * (HumanEval/8, /12, /16), after about 250 tokens (some 40 s) spent on each.
 */
export function testedByItsExamples(request: string): boolean {
  const stub = stubOf(request);
  if (!stub) return false;
  const name = stub.def[1]!;
  return examplesOf(request).some((e) => calledNames(e.call).includes(name));
}

/**
 * The request's one stub, its last top-level function, whose body is only its docstring (import lines
 * before the docstring allowed), and the functions before it, each given whole (a statement beyond
 * its docstring), as HumanEval/32 gives `poly` before the stub `find_zero`. Undefined for anything else.
 */
function stubOf(request: string): { def: RegExpExecArray; helpers: string[] } | undefined {
  if (/^class\s/m.test(request)) return undefined;
  const defs = [...request.matchAll(/^(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(/gm)];
  const def = defs.at(-1);
  if (!def) return undefined;
  const after = request.slice(def.index);
  // Its signature line, any import lines, then a docstring and nothing after it.
  const stub =
    /^.*\)\s*(->\s*[^:\n]+)?:\s*\n(?:[ \t]+(?:import|from)\s[^\n]*\n)*(\s+)("""|''')[\s\S]*?\3\s*$/.exec(
      after,
    );
  if (!stub) return undefined;
  const helpers = defs.slice(0, -1);
  if (!helpers.every((h, i) => hasBody(request.slice(h.index, defs[i + 1]!.index)))) return undefined;
  return { def, helpers: helpers.map((h) => h[1]!) };
}

/** Whether a function's text has a statement beyond its signature and docstring. */
function hasBody(block: string): boolean {
  const body = block.slice(block.indexOf('\n') + 1).replace(/^\s*("""|''')[\s\S]*?\1/, '');
  return body.split('\n').some((l) => /^\s+\S/.test(l) && !/^\s+#/.test(l));
}
