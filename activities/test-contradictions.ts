/**
 * Tests that contradict each other: two tests of one file that take the same steps, then expect the
 * same expression to equal two different literal values. No code can pass both, so a Debugger round
 * spent on the code is wasted: at least one expected value is wrong. A small model writing its own
 * tests does this (one SMA run expected the same prices to give "buy" in one test and "sell" in
 * another, and five Debugger rounds changed the code).
 *
 * The check reads the tests with Python's own parser in the sandbox, after pytest, and its findings
 * become notes of the test report, which the Debugger reads first.
 */

/** Where the check writes its findings (JSON) in the sandbox job's results folder. */
export const CONTRADICTIONS_FILE = 'contradictions.json';

/** One contradiction as the check reports it. */
export interface Contradiction {
  path: string;
  /** The expression both tests compare, as Python writes it, e.g. `s.signal([1, 2, 3])`. */
  expr: string;
  first: { test: string; line: number; value: string };
  second: { test: string; line: number; value: string };
}

/**
 * The check, run as `python3 <file> <results dir>`. A test is compared only when it takes no arguments
 * (no fixture, no parametrize) and has no decorator; a test method's steps include its class's own
 * members (a setup_method differs, so do the keys); a statement that is not an `assert a == b` with a
 * literal on one side is a step. An unreadable file is left out: pytest reports it.
 */
export const CONTRADICTIONS_SOURCE = `import ast
import json
import sys
from pathlib import Path


def literal(node):
    try:
        return True, ast.literal_eval(node)
    except Exception:
        return False, None


def tests_of(tree):
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            yield node.name, node, ""
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            own = ast.dump(ast.Module(body=[
                m for m in node.body
                if not (isinstance(m, ast.FunctionDef)
                        and m.name.startswith("test"))], type_ignores=[]))
            for m in node.body:
                if isinstance(m, ast.FunctionDef) and m.name.startswith("test"):
                    yield node.name + "::" + m.name, m, own


def plain(fn):
    args = fn.args
    names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    return (not fn.decorator_list and names in ([], ["self"])
            and args.vararg is None and args.kwarg is None)


def expectation(stmt):
    if not isinstance(stmt, ast.Assert):
        return None
    t = stmt.test
    if not (isinstance(t, ast.Compare) and len(t.ops) == 1
            and isinstance(t.ops[0], ast.Eq)):
        return None
    left, right = t.left, t.comparators[0]
    lit_l, val_l = literal(left)
    lit_r, val_r = literal(right)
    if lit_r and not lit_l:
        return left, val_r
    if lit_l and not lit_r:
        return right, val_l
    return None


def same(a, b):
    try:
        return bool(a == b)
    except Exception:
        return True


def main(out_dir, roots):
    found = []
    for root in roots:
        for path in sorted(Path(root).rglob("test*.py")):
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"))
            except Exception:
                continue
            seen = {}
            for name, fn, own in tests_of(tree):
                if not plain(fn):
                    continue
                steps = [own]
                for stmt in fn.body:
                    e = expectation(stmt)
                    if e is not None:
                        expr, value = e
                        key = (tuple(steps), ast.dump(expr))
                        here = {"test": name, "line": stmt.lineno,
                                "value": repr(value)}
                        if key not in seen:
                            seen[key] = (value, here)
                        elif seen[key][1]["test"] != name and not same(
                                seen[key][0], value):
                            found.append({"path": str(path),
                                          "expr": ast.unparse(expr),
                                          "first": seen[key][1],
                                          "second": here})
                    steps.append(ast.dump(stmt))
    Path(out_dir, "${CONTRADICTIONS_FILE}").write_text(json.dumps(found[:20]))


main(sys.argv[1], sys.argv[2:] or ["tests"])
`;

/** The findings as notes a person and the Debugger read, or none for a missing or unreadable file. */
export function contradictionNotes(json: string | undefined): string[] {
  if (!json) return [];
  let found: Contradiction[];
  try {
    found = JSON.parse(json) as Contradiction[];
  } catch {
    return [];
  }
  if (!Array.isArray(found)) return [];
  return found.map(
    (c) =>
      `${c.path}: ${c.first.test} (line ${c.first.line}) expects ${c.expr} == ${c.first.value} and ${c.second.test} (line ${c.second.line}) expects ${c.expr} == ${c.second.value} after the same steps. They cannot both pass, so at least one expected value is wrong: work it out by hand from the task and fix that test`,
  );
}
