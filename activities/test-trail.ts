import type { TestCase } from '../contracts';

/**
 * The trail of a failing test: the last lines of the code under codes/ that ran before it failed, with
 * the arguments each function was called with and what it returned. pytest says that `signal(prices)`
 * gave "hold" where the test wanted "buy"; the trail says which line gave it, e.g.
 * `codes/sma.py:10: if len(prices) < self.long_window + 1:` then `codes/sma.py:11: returned 'hold'`, the
 * cause a small model does not find in the assertion alone (SMA runs spent five Debugger rounds on
 * exactly this). A pytest plugin records it with `sys.settrace` while each test runs, only when no other
 * tracer (coverage) is set, and writes the failing tests' trails as JSON.
 */

/** The plugin's module name (loaded with `-p`). */
export const TRAIL_PLUGIN = 'devcrew_trail';

/** Lines of the trail kept per failing test. */
const KEEP = 14;
/**
 * Traced events per test, at most: past it the test runs untraced at full speed (tracing every line
 * costs many times the line) and has no trail, rather than a trail that is not its last lines.
 */
const LIMIT = 200_000;

export const TRAIL_SOURCE = `import json
import linecache
import os
import reprlib
import sys

import pytest

_OUT = os.environ.get("DEVCREW_TRAIL", "")
_ROOT = os.path.join(os.getcwd(), "codes") + os.sep
_KEEP = ${KEEP}
_LIMIT = ${LIMIT}
_events = [0]
_trail = []
_found = {}
_short = reprlib.Repr()
_short.maxstring = 60
_short.maxother = 60
_short.maxlist = 8


def _at(frame, note):
    _events[0] += 1
    path = os.path.relpath(frame.f_code.co_filename)
    _trail.append((path, frame.f_lineno, note))
    if len(_trail) > 8 * _KEEP:
        del _trail[: 4 * _KEEP]


def _local(frame, event, arg):
    if _events[0] > _LIMIT:
        sys.settrace(None)
        return None
    if event == "line":
        _at(frame, "")
    elif event == "return":
        _at(frame, "returned " + _short.repr(arg))
    elif event == "exception":
        _at(frame, "raised " + arg[0].__name__)
    return _local


def _calls(frame, event, arg):
    if _events[0] > _LIMIT:
        sys.settrace(None)
        return None
    if event != "call" or not frame.f_code.co_filename.startswith(_ROOT):
        return None
    code = frame.f_code
    args = ", ".join(
        n + "=" + _short.repr(frame.f_locals.get(n))
        for n in code.co_varnames[: code.co_argcount] if n != "self")
    _at(frame, "called " + code.co_name + "(" + args + ")")
    return _local


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    tracing = bool(_OUT) and sys.gettrace() is None
    _trail.clear()
    _events[0] = 0
    if tracing:
        sys.settrace(_calls)
    try:
        yield
    finally:
        if tracing:
            sys.settrace(None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    whole = _events[0] <= _LIMIT
    if report.when == "call" and report.failed and _trail and whole:
        parts = item.nodeid.split("::")
        first = parts[0][:-3] if parts[0].endswith(".py") else parts[0]
        parts[0] = first.replace("/", ".")
        key = ".".join(parts[:-1]) + "::" + parts[-1]
        _found[key] = [
            path + ":" + str(line) + ": "
            + (note or linecache.getline(path, line).strip())
            for path, line, note in _trail[-_KEEP:]]
    _trail.clear()


def pytest_sessionfinish(session):
    if _OUT:
        with open(_OUT, "w", encoding="utf-8") as f:
            json.dump(_found, f)
`;

/**
 * The cases with each failing one's trail added to its message, from the plugin's JSON (keyed as JUnit
 * names a case: `classname::name`). A missing or unreadable file changes nothing.
 */
export function withTrails(cases: TestCase[], json: string | undefined): TestCase[] {
  if (!json) return cases;
  let found: Record<string, string[]>;
  try {
    found = JSON.parse(json) as Record<string, string[]>;
  } catch {
    return cases;
  }
  return cases.map((c) => {
    const trail = found[`${c.classname}::${c.name}`];
    if (c.status !== 'failed' || !Array.isArray(trail) || trail.length === 0) return c;
    return {
      ...c,
      message: `${(c.message ?? '').slice(0, 1200)}\nThe last lines of codes/ that ran in this test:\n${trail.map((l) => `  ${l}`).join('\n')}`,
    };
  });
}
